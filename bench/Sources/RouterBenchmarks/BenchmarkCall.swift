import GRPC

/// One ext_proc call as the gRPC server hands it to the handler, minus the socket: it keeps
/// count of what the handler sends, so the benchmark can check every exchange was answered
/// message for message and never with an ImmediateResponse.
final class BenchmarkCall: GRPCServerCall {
  /// `ProcessingResponse.immediate_response` (field 7, length-delimited) as the first tag.
  private static let immediateResponseTag: UInt8 = 7 << 3 | 2

  let requestMetadata: [GRPCMetadataField]
  let peerAddress = "127.0.0.1:0"
  private(set) var messagesSent = 0
  private(set) var immediateResponses = 0
  private(set) var status: GRPCStatus?

  init(metadata: [GRPCMetadataField]) {
    requestMetadata = metadata
  }

  func send(_ message: [UInt8]) {
    messagesSent += 1
    if message.first == Self.immediateResponseTag { immediateResponses += 1 }
  }

  func finish(_ status: GRPCStatus) {
    self.status = status
  }
}
