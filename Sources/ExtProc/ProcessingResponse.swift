/// One message the processor sends back (`envoy.service.ext_proc.v3.ProcessingResponse`): the
/// answer of the kind matching the request, or an ImmediateResponse.
public struct ProcessingResponse: Sendable, Equatable {
  /// The answer; its kind matches the request it answers.
  public enum Response: Sendable, Equatable {
    case requestHeaders(CommonResponse)
    case responseHeaders(CommonResponse)
    case requestBody(CommonResponse)
    case responseBody(CommonResponse)
    case requestTrailers(HeaderMutation)
    case responseTrailers(HeaderMutation)
    case immediate(ImmediateResponse)
  }

  public var response: Response
  /// New processing modes for the rest of the exchange; only honoured in a headers response.
  public var modeOverride: ProcessingMode?

  public init(_ response: Response, modeOverride: ProcessingMode? = nil) {
    self.response = response
    self.modeOverride = modeOverride
  }
}
