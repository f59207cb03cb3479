/// A response Envoy sends to the client at once, ending the processing of the exchange (ext_proc
/// `ImmediateResponse`). Nothing more is expected on the stream afterwards.
public struct ImmediateResponse: Sendable, Equatable {
  /// The HTTP status code.
  public var status: Int
  /// Headers of the local response.
  public var headers: HeaderMutation
  /// The response body.
  public var body: [UInt8]
  /// Text Envoy records as the response code details (access logs).
  public var details: String
  /// For gRPC clients: the grpc-status Envoy puts in the trailers.
  public var grpcStatus: UInt32?

  public init(
    status: Int, headers: HeaderMutation = HeaderMutation(), body: [UInt8] = [],
    details: String = "", grpcStatus: UInt32? = nil
  ) {
    self.status = status
    self.headers = headers
    self.body = body
    self.details = details
    self.grpcStatus = grpcStatus
  }
}
