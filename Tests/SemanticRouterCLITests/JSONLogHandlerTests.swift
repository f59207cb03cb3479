import Logging
import Testing

@testable import SemanticRouterCLI

@Suite struct JSONLogHandlerTests {
  private func line(message: String, metadata: Logger.Metadata = [:]) -> String {
    String(
      decoding: JSONLogHandler.line(
        timestamp: "2026-12-07T04:35:00.000Z", level: .warning, message: message,
        serviceName: "svc", label: "semantic-router", metadata: metadata),
      as: UTF8.self)
  }

  @Test func line_carriesTheRequiredFieldsFirst_thenTheMetadataSorted() {
    let text = line(
      message: "rejected", metadata: ["trace_id": "0af7651916cd43dd8448eb211c80319c", "a": "1"])
    #expect(
      text == #"{"timestamp":"2026-12-07T04:35:00.000Z","level":"warning","message":"rejected","#
        + #""service.name":"svc","logger":"semantic-router","a":"1","#
        + #""trace_id":"0af7651916cd43dd8448eb211c80319c"}"# + "\n")
  }

  @Test func quotesNewlinesAndControlBytes_areEscaped_soALineStaysOneLine() {
    let text = line(message: "say \"hi\"\nthen\u{1}go", metadata: ["path": "/a\\b"])
    #expect(text.contains(#""message":"say \"hi\"\nthen\u0001go""#))
    #expect(text.contains(#""path":"/a\\b""#))
    #expect(text.filter { $0 == "\n" }.count == 1)
  }

  @Test func metadata_cannotReplaceTheRequiredFields() {
    let text = line(message: "m", metadata: ["level": "fake", "service.name": "other"])
    #expect(!text.contains("fake"))
    #expect(!text.contains("other"))
  }
}
