import ExtProc
import Foundation
import Logging
import Router
import Testing

@Suite struct ModelListPhaseTests {
  private let router = SemanticRouter(configuration: RouterFixtures.twoModels)

  private func get(_ path: String) throws -> ImmediateResponse {
    let processor = SemanticRouterProcessor(router: router, logger: Logger(label: "test"))
    let message = HTTPHeadersMessage(
      headers: HTTPHeaders([(":method", "GET"), (":path", path)]), endOfStream: true)
    guard case .immediate(let answer) = processor.processRequestHeaders(message) else {
      throw ModelListTestError.notAnswered(path)
    }
    return answer
  }

  private func json(_ answer: ImmediateResponse) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any])
  }

  @Test func list_namesEveryConfiguredModelThenAuto_inOpenAIListFormat() throws {
    let answer = try get("/v1/models")
    #expect(answer.status == 200)
    #expect(
      answer.headers.setHeaders.contains {
        $0.name == "content-type" && $0.value == "application/json"
      })
    let list = try json(answer)
    #expect(list["object"] as? String == "list")
    let data = try #require(list["data"] as? [[String: Any]])
    #expect(data.map { $0["id"] as? String } == ["math-model", "chat-model", "auto"])
    #expect(data.map { $0["owned_by"] as? String } == ["vllm", "vllm", "semantic-router"])
    for model in data {
      #expect(model["object"] as? String == "model")
      #expect(model["created"] as? Int == router.createdAt)
    }
  }

  @Test(arguments: ["/v1/models/math-model", "/v1/models/auto", "/v1/models/chat-model?x=1"])
  func oneModel_isItsModelObject(path: String) throws {
    let answer = try get(path)
    #expect(answer.status == 200)
    let model = try json(answer)
    let id = String(path.dropFirst("/v1/models/".count).prefix { $0 != "?" })
    #expect(model["id"] as? String == id)
    #expect(model["object"] as? String == "model")
  }

  @Test func idWithSlash_isFoundPercentEncodedOrNot() throws {
    let configuration = try RouterConfiguration.parse(
      yaml: """
        models:
          - name: meta-llama/Llama-3.1-8B
            endpoints: [{ name: l1, address: "http://127.0.0.1:8101" }]
        default_model: meta-llama/Llama-3.1-8B
        """)
    let router = SemanticRouter(configuration: configuration)
    for path in ["/v1/models/meta-llama/Llama-3.1-8B", "/v1/models/meta-llama%2FLlama-3.1-8B"] {
      let processor = SemanticRouterProcessor(router: router, logger: Logger(label: "test"))
      let message = HTTPHeadersMessage(
        headers: HTTPHeaders([(":method", "GET"), (":path", path)]), endOfStream: true)
      guard case .immediate(let answer) = processor.processRequestHeaders(message) else {
        Issue.record("not answered: \(path)")
        continue
      }
      #expect(answer.status == 200)
    }
  }

  @Test func unknownModel_is404ModelNotFound() throws {
    let answer = try get("/v1/models/gpt-9")
    #expect(answer.status == 404)
    let error = try #require(try json(answer)["error"] as? [String: Any])
    #expect(error["code"] as? String == "model_not_found")
    #expect(error["type"] as? String == "invalid_request_error")
    #expect((error["message"] as? String)?.contains("'gpt-9'") == true)
  }

  @Test func otherMethodsAndPaths_areNotAnswered() {
    let processor = SemanticRouterProcessor(router: router, logger: Logger(label: "test"))
    let message = HTTPHeadersMessage(
      headers: HTTPHeaders([(":method", "DELETE"), (":path", "/v1/models/math-model")]),
      endOfStream: true)
    guard case .respond = processor.processRequestHeaders(message) else {
      Issue.record("a DELETE was answered by the router")
      return
    }
  }
}

private enum ModelListTestError: Error {
  case notAnswered(String)
}
