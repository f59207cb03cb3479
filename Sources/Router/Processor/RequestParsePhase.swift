import ExtProc

/// The parse phase, first of the request phases (parse → classify → route → cache →
/// answer): checks how the body arrived and its size, then parses it as an OpenAI request.
/// Request guards (PII, jailbreak) go after it, before classification.
enum RequestParsePhase {
  /// What the phase found.
  enum Outcome: Equatable {
    /// A well-formed request, for the next phases.
    case parsed(OpenAIRequest)
    /// The body arrives in STREAMED mode, which routing cannot use: pass it on unrouted.
    case streamedBody
    /// The body is larger than `max_body_bytes`, or arrived cut off at Envoy's buffer limit.
    case tooLarge(size: Int)
    /// The body is not a valid request for its endpoint.
    case invalid(OpenAIRequestError)
  }

  /// Parses a request body that arrived in `mode` for `endpoint`.
  static func run(
    _ body: HTTPBody, mode: ProcessingMode.BodySendMode?, endpoint: OpenAIRequest.Endpoint,
    maxBodyBytes: Int
  ) -> Outcome {
    if mode == .streamed || mode == .fullDuplexStreamed { return .streamedBody }
    let bytes = body.bytes
    guard bytes.count <= maxBodyBytes, mode != .bufferedPartial || body.endOfStream else {
      return .tooLarge(size: bytes.count)
    }
    do {
      return .parsed(try OpenAIRequest.parse(bytes, endpoint: endpoint))
    } catch {
      return .invalid(error)
    }
  }
}
