/// The router's own answers to `GET /v1/models` and `GET /v1/models/{id}`, in the OpenAI
/// model-object format: `{"object":"list","data":[{"id","object":"model","created","owned_by"}]}`.
///
/// Every configured model is listed with `owned_by: "vllm"` (what vLLM's own list says), then
/// each auto name with `owned_by: "semantic-router"`; `created` is when the router loaded its
/// configuration.
enum ModelListBody {
  /// `owned_by` of a configured model.
  static let backendOwner = "vllm"
  /// `owned_by` of an auto name, which only the router answers.
  static let routerOwner = "semantic-router"

  /// The model ids the router answers for, with their owners, in list order.
  static func entries(_ configuration: RouterConfiguration) -> [(id: String, owner: String)] {
    configuration.models.map { ($0.name, backendOwner) }
      + configuration.autoModelNames.map { ($0, routerOwner) }
  }

  /// The list object.
  static func list(_ configuration: RouterConfiguration, created: Int) -> [UInt8] {
    var output: [UInt8] = []
    JSONWriter.appendRaw("{\"object\":\"list\",\"data\":[", to: &output)
    for (index, entry) in entries(configuration).enumerated() {
      if index > 0 { JSONWriter.appendRaw(",", to: &output) }
      appendModel(entry.id, owner: entry.owner, created: created, to: &output)
    }
    JSONWriter.appendRaw("]}", to: &output)
    return output
  }

  /// The model object for `id`, or nil when the router does not know it.
  static func model(_ id: String, _ configuration: RouterConfiguration, created: Int) -> [UInt8]? {
    guard let entry = entries(configuration).first(where: { $0.id == id }) else { return nil }
    var output: [UInt8] = []
    appendModel(entry.id, owner: entry.owner, created: created, to: &output)
    return output
  }

  private static func appendModel(
    _ id: String, owner: String, created: Int, to output: inout [UInt8]
  ) {
    JSONWriter.appendRaw("{\"id\":", to: &output)
    JSONWriter.appendString(id, to: &output)
    JSONWriter.appendRaw(",\"object\":\"model\",\"created\":\(created),\"owned_by\":", to: &output)
    JSONWriter.appendString(owner, to: &output)
    JSONWriter.appendRaw("}", to: &output)
  }
}
