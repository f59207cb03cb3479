/// Reassembles gRPC length-prefixed messages (1 flag byte, 4-byte big-endian length, payload)
/// from DATA chunks whose boundaries have nothing to do with message boundaries.
///
/// See the gRPC over HTTP/2 spec, "Length-Prefixed-Message".
struct GRPCMessageDeframer {
  /// The largest payload accepted; a larger length prefix fails with RESOURCE_EXHAUSTED before
  /// any of its payload is buffered.
  let maxMessageSize: Int

  private var headerBytesRead = 0
  private var flags: UInt8 = 0
  private var length = 0
  /// Payload bytes of the current message still to come; nil while reading a prefix.
  private var remaining: Int?
  private var message: [UInt8] = []

  init(maxMessageSize: Int) {
    self.maxMessageSize = maxMessageSize
  }

  /// Bytes of the partial message (prefix and payload) held until it completes.
  var bufferedBytes: Int { headerBytesRead + message.count }

  /// Whether no partial message is buffered (a stream may end only here).
  var isAtMessageBoundary: Bool { headerBytesRead == 0 && remaining == nil }

  /// Consumes `bytes`, appending every message it completes to `messages`. A failure leaves the
  /// deframer unusable: the stream must end.
  mutating func process(
    _ bytes: UnsafeRawBufferPointer, into messages: inout [[UInt8]]
  ) throws(GRPCStatus) {
    var index = 0
    let count = bytes.count
    while index < count {
      guard let needed = remaining else {
        let byte = bytes[index]
        index += 1
        if headerBytesRead == 0 {
          flags = byte
          length = 0
        } else {
          length = length << 8 | Int(byte)
        }
        headerBytesRead += 1
        if headerBytesRead == 5 { try prefixComplete(into: &messages) }
        continue
      }
      let take = min(needed, count - index)
      let chunk = UnsafeRawBufferPointer(rebasing: bytes[index..<(index + take)])
      index += take
      if take == needed && message.isEmpty {
        messages.append(Array(chunk))
        remaining = nil
        continue
      }
      message.append(contentsOf: chunk)
      if take == needed {
        messages.append(message)
        message = []
        remaining = nil
      } else {
        remaining = needed - take
      }
    }
  }

  private mutating func prefixComplete(into messages: inout [[UInt8]]) throws(GRPCStatus) {
    headerBytesRead = 0
    if flags & 0x01 != 0 {
      throw GRPCStatus(
        .internal, "compressed messages are not supported (no grpc-encoding was negotiated)")
    }
    if length > maxMessageSize {
      throw GRPCStatus(
        .resourceExhausted,
        "received message larger than max (\(length) vs. \(maxMessageSize))")
    }
    if length == 0 {
      messages.append([])
    } else {
      remaining = length
      message.reserveCapacity(min(length, 64 * 1024))
    }
  }
}

/// Writes the 5-byte gRPC message prefix (uncompressed) for a payload of `length` bytes.
@inline(__always)
func withGRPCMessagePrefix<R>(length: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
  let value = UInt32(truncatingIfNeeded: length)
  let prefix: (UInt8, UInt8, UInt8, UInt8, UInt8) = (
    0, UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16),
    UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)
  )
  return withUnsafeBytes(of: prefix) { body($0) }
}
