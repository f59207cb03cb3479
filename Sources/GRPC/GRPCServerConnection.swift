import Logging
import Transport

/// Accepts the streams of one HTTP/2 server connection as gRPC calls: checks method and
/// content-type, routes by `:path`, parses `grpc-timeout`, and starts a `GRPCServerStream` with
/// the method's handler. Loop-thread confined.
final class GRPCServerConnection: HTTP2ConnectionDelegate {
  private let methods: GRPCMethodTable
  private let maxReceiveMessageSize: Int
  private let logger: Logger

  init(methods: GRPCMethodTable, maxReceiveMessageSize: Int, logger: Logger) {
    self.methods = methods
    self.maxReceiveMessageSize = maxReceiveMessageSize
    self.logger = logger
  }

  func connection(
    _ connection: HTTP2Connection, openedStream stream: HTTP2Stream, headers: [HTTP2Header],
    endStream: Bool
  ) {
    var method = ""
    var path = ""
    var contentType = ""
    var timeout: String?
    var metadata: [GRPCMetadataField] = []
    metadata.reserveCapacity(headers.count)
    for header in headers {
      switch header.name {
      case ":method": method = header.value
      case ":path": path = header.value
      case "content-type": contentType = header.value
      case "grpc-timeout": timeout = header.value
      default: break
      }
      metadata.append(GRPCMetadataField(name: header.name, value: header.value))
    }
    guard method == "POST" else {
      answerHTTP(stream, status: "405")
      return
    }
    // The spec allows "application/grpc" and "application/grpc+<format>" (and ";params").
    guard contentType.utf8.starts(with: "application/grpc".utf8) else {
      answerHTTP(stream, status: "415")
      return
    }
    guard let factory = methods.factory(for: path) else {
      answerStatus(stream, GRPCStatus(.unimplemented, "Method not found: \(path)"))
      return
    }
    var timeoutNanoseconds: UInt64?
    if let timeout {
      guard let parsed = GRPCTimeout.parseNanoseconds(timeout) else {
        answerStatus(stream, GRPCStatus(.internal, "malformed grpc-timeout: \(timeout)"))
        return
      }
      timeoutNanoseconds = parsed
    }
    let call = GRPCServerStream(
      stream: stream, metadata: metadata, maxReceiveMessageSize: maxReceiveMessageSize,
      logger: logger)
    call.start(handler: factory(call), timeoutNanoseconds: timeoutNanoseconds)
    if endStream { call.streamReceivedEnd(stream) }
  }

  func connectionClosed(_ connection: HTTP2Connection) {}

  /// A plain HTTP answer for a request that is not gRPC at all.
  private func answerHTTP(_ stream: HTTP2Stream, status: String) {
    stream.resetAfterEnd()
    stream.sendHeaders([HTTP2Header(":status", status)], endStream: true)
  }

  /// A Trailers-Only gRPC answer for a call no handler will see.
  private func answerStatus(_ stream: HTTP2Stream, _ status: GRPCStatus) {
    stream.resetAfterEnd()
    stream.sendHeaders(GRPCServerStream.trailersOnly(status), endStream: true)
  }
}

@available(*, unavailable)
extension GRPCServerConnection: Sendable {}
