/// The default processor: passes every part of the exchange through unchanged and adds one
/// request header, `x-extproc: semantic-router`, so a test can see that Envoy applied a
/// mutation.
public final class PassThroughProcessor: Processor {
  /// The header added to every request.
  public static let headerName = "x-extproc"
  /// Its value.
  public static let headerValue = "semantic-router"

  public init() {}

  /// A factory that makes a new pass-through processor per stream.
  public static let factory: ProcessorFactory = { _ in PassThroughProcessor() }

  public func processRequestHeaders(_ message: HTTPHeadersMessage) -> HeadersDecision {
    var response = CommonResponse()
    response.headerMutation.set(Self.headerName, Self.headerValue)
    return .respond(response)
  }
}
