/// A processor's answer to a headers message: continue (with changes) or answer the client now.
public enum HeadersDecision: Sendable, Equatable {
  /// Continue with `response` applied; `modeOverride` changes the processing modes for the rest
  /// of the exchange (Envoy needs `allow_mode_override: true`).
  case respond(CommonResponse, modeOverride: ProcessingMode? = nil)
  /// End the exchange with this local response.
  case immediate(ImmediateResponse)

  /// Continue without any change.
  public static var passThrough: HeadersDecision { .respond(CommonResponse()) }
}

/// A processor's answer to a body message: continue (with changes) or answer the client now.
public enum BodyDecision: Sendable, Equatable {
  /// Continue with `response` applied. In STREAMED mode its header mutation is dropped (Envoy
  /// ignores it there).
  case respond(CommonResponse)
  /// End the exchange with this local response.
  case immediate(ImmediateResponse)
  /// The processor answers later through `LaterBodyDecision.resolve` (with `.respond` or
  /// `.immediate`; a `.later` given there fails the stream).
  case later(LaterBodyDecision)

  /// Continue without any change.
  public static var passThrough: BodyDecision { .respond(CommonResponse()) }
}

/// A processor's answer to a trailers message: continue (with changes) or answer the client now.
public enum TrailersDecision: Sendable, Equatable {
  /// Continue with `mutation` applied to the trailers.
  case respond(HeaderMutation)
  /// End the exchange with this local response.
  case immediate(ImmediateResponse)

  /// Continue without any change.
  public static var passThrough: TrailersDecision { .respond(HeaderMutation()) }
}
