/// One message Envoy sends on an ext_proc stream (`envoy.service.ext_proc.v3.ProcessingRequest`).
public struct ProcessingRequest: Sendable, Equatable {
  /// What the message carries: exactly one part of the HTTP exchange.
  public enum Message: Sendable, Equatable {
    case requestHeaders(HTTPHeadersMessage)
    case requestBody(HTTPBody)
    case requestTrailers(HTTPHeaders)
    case responseHeaders(HTTPHeadersMessage)
    case responseBody(HTTPBody)
    case responseTrailers(HTTPHeaders)
  }

  public var message: Message
  /// Envoy does not wait for (and ignores) responses: the stream only observes.
  public var observabilityMode: Bool
  /// The filter's body modes; Envoy sends this in the first message of a stream only.
  public var protocolConfiguration: ProtocolConfiguration?

  public init(
    _ message: Message, observabilityMode: Bool = false,
    protocolConfiguration: ProtocolConfiguration? = nil
  ) {
    self.message = message
    self.observabilityMode = observabilityMode
    self.protocolConfiguration = protocolConfiguration
  }
}
