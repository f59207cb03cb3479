import Testing

@testable import Transport

@Suite("HTTP/1.1 request head parser")
struct HTTP1ServerRequestParserTests {
  private func parse(_ text: String, max: Int = 8192) -> HTTP1ServerRequestParser.Outcome {
    HTTP1ServerRequestParser.parse(Array(text.utf8), maxHeadBytes: max)
  }

  private func status(_ text: String, max: Int = 8192) -> Int? {
    if case .invalid(let status, _) = parse(text, max: max) { return status }
    return nil
  }

  @Test func completeHead_givesMethodPathQueryAndHeadersInOrder() throws {
    guard
      case .complete(let request) = parse(
        "GET /metrics?name=x&y HTTP/1.1\r\nHost: a\r\nAccept:  text/plain \r\nX-Two: 2\r\n\r\nBODY")
    else {
      Issue.record("not complete")
      return
    }
    #expect(request.method == "GET")
    #expect(request.target == "/metrics?name=x&y")
    #expect(request.path == "/metrics")
    #expect(request.query == "name=x&y")
    #expect(request.version == "HTTP/1.1")
    #expect(request.headers.map(\.name) == ["Host", "Accept", "X-Two"])
    #expect(request.header("accept") == "text/plain")
    #expect(request.header("missing") == nil)
  }

  @Test func bareLineFeedsAndLeadingEmptyLines_areAccepted() {
    guard case .complete(let request) = parse("\r\n\nHEAD /ready HTTP/1.0\nX: y\n\n") else {
      Issue.record("not complete")
      return
    }
    #expect(request.method == "HEAD")
    #expect(request.path == "/ready")
    #expect(request.header("x") == "y")
  }

  @Test func absoluteFormTarget_yieldsItsPath() {
    guard
      case .complete(let request) = parse("GET http://h:8080/health?a HTTP/1.1\r\nHost: h\r\n\r\n")
    else {
      Issue.record("not complete")
      return
    }
    #expect(request.path == "/health")
    #expect(request.query == "a")
  }

  @Test(arguments: [
    "GET / HTTP/1.1", "GET / HTTP/1.1\r\nHost: a\r\n", "GET / HTTP/1.1\r\nHost: a\r\n\r",
  ])
  func unfinishedHead_isIncomplete(text: String) {
    guard case .incomplete = parse(text) else {
      Issue.record("expected incomplete for \(text.debugDescription)")
      return
    }
  }

  @Test(arguments: [
    ("GET /\r\n\r\n", 400),
    ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("GET / HTTP/1.1\r\nHost: a\r\nNo colon here\r\n\r\n", 400),
    ("GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n", 400),
    ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
    ("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n folded\r\n\r\n", 400),
    ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{01}b\r\n\r\n", 400),
    ("GET / HTTP/1.1\r\n\r\n", 400),
    ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ("GET / http/1.1\r\nHost: a\r\n\r\n", 400),
    ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
    ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
  ])
  func malformedHead_isRejectedWithStatus(text: String, expected: Int) {
    #expect(status(text) == expected)
  }

  @Test func headLargerThanTheLimit_is431EvenBeforeItEnds() {
    let big = "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "a", count: 200)
    #expect(status(big, max: 128) == 431)
    #expect(status(big + "\r\n\r\n", max: 128) == 431)
    guard case .complete = parse(big + "\r\n\r\n", max: 512) else {
      Issue.record("a head under the limit must parse")
      return
    }
  }
}
