/// A bound on what the router keeps of a backend's answer while it passes; when one is hit the
/// answer still reaches the client, but the router stops reading it (and stops translating it,
/// ending the client's stream with an error event). Counted in
/// `semantic_router_response_limit_exceeded_total{limit}`.
public enum ResponseLimit: String, Sendable, CaseIterable {
  /// `max_sse_event_bytes`: one line, or one event's data, of an event stream.
  case sseEvent = "sse_event"
  /// `max_translated_answer_bytes`: the text a translated Responses stream repeats at its end.
  case translatedAnswer = "translated_answer"

  /// The config key that sets it.
  public var configKey: String {
    switch self {
    case .sseEvent: "max_sse_event_bytes"
    case .translatedAnswer: "max_translated_answer_bytes"
    }
  }
}
