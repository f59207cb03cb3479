import ExtProc
import TextCoding

/// The router's answer to `GET /v1/models` and `GET /v1/models/{id}`, given at the request
/// headers from the configuration, without reaching a backend: the list, one model, or a 404
/// `model_not_found` in OpenAI's error shape.
enum ModelListPhase {
  /// The path every model request starts with.
  static let listPath = "/v1/models"

  /// The answer for a GET of `path` (query already cut off), or nil when the path is not a
  /// model request. The id after `/v1/models/` is percent-decoded, so a name with `/` (such as
  /// `meta-llama/Llama-3.1-8B`) works written either way.
  static func run(path: String, router: SemanticRouter) -> ImmediateResponse? {
    let configuration = router.configuration
    if path == listPath || path == listPath + "/" {
      return answer(200, ModelListBody.list(configuration, created: router.createdAt))
    }
    guard path.hasPrefix(listPath + "/") else { return nil }
    let id = PercentEncoding.decode(path.dropFirst(listPath.utf8.count + 1))
    if let body = ModelListBody.model(id, configuration, created: router.createdAt) {
      return answer(200, body)
    }
    return answer(404, OpenAIErrorBody.modelNotFound(id), details: "model_not_found")
  }

  private static func answer(
    _ status: Int, _ body: [UInt8], details: String = "model_list"
  ) -> ImmediateResponse {
    var headers = HeaderMutation()
    headers.set("content-type", "application/json")
    return ImmediateResponse(status: status, headers: headers, body: body, details: details)
  }
}
