import ArgumentParser
import Router

/// `semantic-router classify`: what the router would do with one query, without serving.
struct ClassifyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "classify",
    abstract: "Classify a query and show the model and endpoint an \"auto\" request would get."
  )

  @OptionGroup var config: ConfigOption

  @Flag(help: "Print one JSON object: category, confidence, model, endpoint.")
  var json = false

  @Argument(help: "The query text.")
  var text: [String]

  func run() throws {
    let router = SemanticRouter(configuration: try config.load())
    let query = text.joined(separator: " ")
    let classification = router.classifier.classify(query)
    let autoName = router.configuration.autoModelNames.first ?? "auto"
    let decision = router.decide(requestedModel: autoName, category: classification.category)
    var model: String?
    var endpoint: String?
    if case .route(let route) = decision {
      model = route.model
      endpoint = route.endpoint.name
    }
    let confidence = (classification.confidence * 1000).rounded() / 1000
    if json {
      var writer = JSONObjectText()
      writer.add("category", classification.category)
      writer.add("confidence", confidence)
      writer.add("model", model)
      writer.add("endpoint", endpoint)
      print(writer.text)
    } else {
      print("category:   \(classification.category) (\(classification.method.rawValue))")
      print("confidence: \(confidence)")
      print("model:      \(model ?? "-")")
      print("endpoint:   \(endpoint ?? "-")")
    }
  }
}
