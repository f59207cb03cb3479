/// The body modes the filter is configured with, which Envoy sends in the first message of a
/// stream (ext_proc `ProtocolConfiguration`).
public struct ProtocolConfiguration: Sendable, Equatable {
  public var requestBodyMode: ProcessingMode.BodySendMode
  public var responseBodyMode: ProcessingMode.BodySendMode
  /// Envoy may send STREAMED body chunks before the headers response arrives.
  public var sendBodyWithoutWaitingForHeaderResponse: Bool

  public init(
    requestBodyMode: ProcessingMode.BodySendMode = .none,
    responseBodyMode: ProcessingMode.BodySendMode = .none,
    sendBodyWithoutWaitingForHeaderResponse: Bool = false
  ) {
    self.requestBodyMode = requestBodyMode
    self.responseBodyMode = responseBodyMode
    self.sendBodyWithoutWaitingForHeaderResponse = sendBodyWithoutWaitingForHeaderResponse
  }
}
