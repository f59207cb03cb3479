/// The protocol rules of one ext_proc stream, as a value: which message may come next, which
/// body mode applies, and which response answers it.
///
/// One HTTP exchange goes through these phases in order, any of which Envoy may skip depending
/// on the processing mode: request headers → request body chunks → request trailers →
/// response headers → response body chunks → response trailers. Every message is answered by
/// exactly one response of the matching kind (or an ImmediateResponse, after which nothing more
/// may come), before the next message is taken. A message that breaks these rules is a typed
/// `ExtProcError`; the stream is then closed with an error status.
///
/// Each transition is a `mutating` method returning what the caller does next; there is no I/O
/// here, so the rules are tested state by state.
struct ExtProcStreamStateMachine {
  /// A part of the HTTP exchange, in the order Envoy sends them.
  enum Phase: Int, Comparable, CustomStringConvertible {
    case requestHeaders = 1
    case requestBody
    case requestTrailers
    case responseHeaders
    case responseBody
    case responseTrailers

    static func < (lhs: Phase, rhs: Phase) -> Bool { lhs.rawValue < rhs.rawValue }

    var description: String {
      switch self {
      case .requestHeaders: "request_headers"
      case .requestBody: "request_body"
      case .requestTrailers: "request_trailers"
      case .responseHeaders: "response_headers"
      case .responseBody: "response_body"
      case .responseTrailers: "response_trailers"
      }
    }

    var isRequest: Bool { self < .responseHeaders }
    var isBody: Bool { self == .requestBody || self == .responseBody }
  }

  /// What the exchange has shown so far.
  struct Exchange: Equatable {
    /// The phase of the last message, nil before the first.
    var phase: Phase?
    /// The request body mode in force, nil while unknown.
    var requestBodyMode: ProcessingMode.BodySendMode?
    /// The response body mode in force, nil while unknown.
    var responseBodyMode: ProcessingMode.BodySendMode?
    /// The request direction saw `end_of_stream` (or its trailers).
    var requestEnded = false
    /// The response direction saw `end_of_stream` (or its trailers).
    var responseEnded = false
  }

  private enum State {
    /// Waiting for the next message.
    case idle(Exchange)
    /// A message was taken; its response is due before anything else.
    case awaitingResponse(Exchange, Phase)
    /// An ImmediateResponse was sent: the exchange is over.
    case immediateResponseSent
    /// A rule was broken; the stream is being closed.
    case failed
  }

  /// What to do with a message that was accepted.
  struct OnReceive: Equatable {
    /// The body mode for a body message (nil: unknown, or not a body).
    var bodyMode: ProcessingMode.BodySendMode?
    /// False in observability mode: Envoy ignores responses, so none is sent.
    var expectsResponse: Bool
  }

  /// What to send after a response was accepted.
  struct OnSend: Equatable {
    /// The response to encode and send (possibly trimmed of what Envoy would ignore).
    var response: ProcessingResponse
    /// A header mutation was dropped from a STREAMED body response, where Envoy ignores it.
    var droppedHeaderMutation: Bool
  }

  private var state: State = .idle(Exchange())

  /// The exchange as seen so far, nil once it is over (immediate response or failure).
  var exchange: Exchange? {
    switch state {
    case .idle(let exchange), .awaitingResponse(let exchange, _): exchange
    case .immediateResponseSent, .failed: nil
    }
  }

  /// Whether a response is due.
  var isAwaitingResponse: Bool {
    if case .awaitingResponse = state { return true }
    return false
  }

  // MARK: - Transitions

  /// Takes the next message from Envoy.
  mutating func receive(_ request: ProcessingRequest) throws(ExtProcError) -> OnReceive {
    switch state {
    case .idle(var exchange):
      do {
        let phase = try Self.accept(request, into: &exchange)
        let mode: ProcessingMode.BodySendMode? =
          switch phase {
          case .requestBody: exchange.requestBodyMode
          case .responseBody: exchange.responseBodyMode
          default: nil
          }
        if request.observabilityMode {
          state = .idle(exchange)
          return OnReceive(bodyMode: mode, expectsResponse: false)
        }
        state = .awaitingResponse(exchange, phase)
        return OnReceive(bodyMode: mode, expectsResponse: true)
      } catch {
        state = .failed
        throw error
      }
    case .awaitingResponse(_, let pending):
      state = .failed
      throw ExtProcError(
        .unexpectedMessage,
        "\(Self.phase(of: request.message)) received before \(pending) was answered")
    case .immediateResponseSent:
      state = .failed
      throw ExtProcError(
        .afterImmediateResponse,
        "\(Self.phase(of: request.message)) received after an immediate response")
    case .failed:
      throw ExtProcError(
        .unexpectedMessage, "\(Self.phase(of: request.message)) received on a failed stream")
    }
  }

  /// Takes the response to the pending message and returns what to send.
  mutating func send(_ response: ProcessingResponse) throws(ExtProcError) -> OnSend {
    guard case .awaitingResponse(var exchange, let phase) = state else {
      throw ExtProcError(.unexpectedMessage, "a response with no message to answer")
    }
    var response = response
    var dropped = false
    switch response.response {
    case .immediate:
      state = .immediateResponseSent
      response.modeOverride = nil
      return OnSend(response: response, droppedHeaderMutation: false)
    case .requestHeaders, .responseHeaders:
      guard Self.phase(answeredBy: response.response) == phase else {
        state = .failed
        throw Self.mismatch(response.response, phase)
      }
      if let mode = response.modeOverride {
        if phase == .requestHeaders { exchange.requestBodyMode = mode.requestBodyMode }
        exchange.responseBodyMode = mode.responseBodyMode
      }
    case .requestBody(var common), .responseBody(var common):
      guard Self.phase(answeredBy: response.response) == phase else {
        state = .failed
        throw Self.mismatch(response.response, phase)
      }
      response.modeOverride = nil
      let mode = phase == .requestBody ? exchange.requestBodyMode : exchange.responseBodyMode
      // Envoy applies header mutations of a body response only while it still holds the
      // headers (BUFFERED); in STREAMED mode they are ignored, so they are not sent.
      if mode == .streamed, !common.headerMutation.isEmpty {
        common.headerMutation = HeaderMutation()
        response.response =
          phase == .requestBody ? .requestBody(common) : .responseBody(common)
        dropped = true
      }
    case .requestTrailers, .responseTrailers:
      guard Self.phase(answeredBy: response.response) == phase else {
        state = .failed
        throw Self.mismatch(response.response, phase)
      }
      response.modeOverride = nil
    }
    state = .idle(exchange)
    return OnSend(response: response, droppedHeaderMutation: dropped)
  }

  // MARK: - Rules

  /// Checks `request` against the exchange so far and records it; returns its phase.
  private static func accept(
    _ request: ProcessingRequest, into exchange: inout Exchange
  ) throws(ExtProcError) -> Phase {
    if exchange.phase == nil, let configuration = request.protocolConfiguration {
      // Envoy sends the filter's body modes with the first message only.
      for mode in [configuration.requestBodyMode, configuration.responseBodyMode]
      where mode == .fullDuplexStreamed || mode == .grpc {
        throw ExtProcError(.unsupportedBodyMode, "body mode \(mode) is not supported")
      }
      exchange.requestBodyMode = configuration.requestBodyMode
      exchange.responseBodyMode = configuration.responseBodyMode
    }

    let phase = Self.phase(of: request.message)
    if let last = exchange.phase {
      if phase < last {
        throw ExtProcError(.outOfOrder, "\(phase) received after \(last)")
      }
      if phase == last, !phase.isBody {
        throw ExtProcError(.outOfOrder, "a second \(phase) received")
      }
    }
    if phase.isRequest ? exchange.requestEnded : exchange.responseEnded {
      throw ExtProcError(
        .unexpectedMessage,
        "\(phase) received after end_of_stream of the \(phase.isRequest ? "request" : "response")"
      )
    }
    if phase.isBody, phase == exchange.phase {
      let mode = phase == .requestBody ? exchange.requestBodyMode : exchange.responseBodyMode
      if mode == .buffered || mode == .bufferedPartial {
        throw ExtProcError(
          .unexpectedMessage, "a second \(phase) message received in \(mode!) mode")
      }
    }
    if phase.isBody {
      // A body Envoy sends while we believe the mode is NONE means the belief is wrong (e.g. a
      // mode override Envoy did not honour): the mode is unknown from here on.
      if phase == .requestBody, exchange.requestBodyMode == ProcessingMode.BodySendMode.none {
        exchange.requestBodyMode = nil
      }
      if phase == .responseBody, exchange.responseBodyMode == ProcessingMode.BodySendMode.none {
        exchange.responseBodyMode = nil
      }
    }

    let ends: Bool
    switch request.message {
    case .requestHeaders(let headers), .responseHeaders(let headers): ends = headers.endOfStream
    case .requestBody(let body), .responseBody(let body): ends = body.endOfStream
    case .requestTrailers, .responseTrailers: ends = true
    }
    if ends {
      if phase.isRequest { exchange.requestEnded = true } else { exchange.responseEnded = true }
    }
    exchange.phase = phase
    return phase
  }

  static func phase(of message: ProcessingRequest.Message) -> Phase {
    switch message {
    case .requestHeaders: .requestHeaders
    case .requestBody: .requestBody
    case .requestTrailers: .requestTrailers
    case .responseHeaders: .responseHeaders
    case .responseBody: .responseBody
    case .responseTrailers: .responseTrailers
    }
  }

  /// The phase a response answers; nil for an ImmediateResponse, which answers any.
  static func phase(answeredBy response: ProcessingResponse.Response) -> Phase? {
    switch response {
    case .requestHeaders: .requestHeaders
    case .requestBody: .requestBody
    case .requestTrailers: .requestTrailers
    case .responseHeaders: .responseHeaders
    case .responseBody: .responseBody
    case .responseTrailers: .responseTrailers
    case .immediate: nil
    }
  }

  private static func mismatch(
    _ response: ProcessingResponse.Response, _ phase: Phase
  ) -> ExtProcError {
    let kind = Self.phase(answeredBy: response).map(String.init(describing:)) ?? "immediate"
    return ExtProcError(.unexpectedMessage, "a \(kind) response cannot answer \(phase)")
  }
}
