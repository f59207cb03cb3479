/// The `envoy.service.ext_proc.v3.ProcessingRequest` messages of one HTTP exchange, as Envoy
/// 1.40 sends them with request and response headers SEND and both bodies BUFFERED.
///
/// Field numbers from Protos/envoy/service/ext_proc/v3/external_processor.proto and
/// Protos/envoy/config/core/v3/base.proto.
enum EnvoyMessages {
  /// `ProtocolConfiguration.BodySendMode.BUFFERED`.
  private static let buffered: UInt64 = 2

  /// Request headers (field 2), with the `protocol_config` (field 11) Envoy puts in a stream's
  /// first message.
  static func requestHeaders(_ headers: [(String, String)]) -> [UInt8] {
    var message = ProtobufWriter()
    message.messageField(2) { writeHeaders(headers, endOfStream: false, into: &$0) }
    message.messageField(11) { config in
      config.varintField(1, buffered)
      config.varintField(2, buffered)
    }
    return message.bytes
  }

  /// Response headers (field 3).
  static func responseHeaders(_ headers: [(String, String)]) -> [UInt8] {
    var message = ProtobufWriter()
    message.messageField(3) { writeHeaders(headers, endOfStream: false, into: &$0) }
    return message.bytes
  }

  /// The whole request body (field 4), end of stream.
  static func requestBody(_ body: [UInt8]) -> [UInt8] {
    var message = ProtobufWriter()
    message.messageField(4) { writeBody(body, into: &$0) }
    return message.bytes
  }

  /// The whole response body (field 5), end of stream.
  static func responseBody(_ body: [UInt8]) -> [UInt8] {
    var message = ProtobufWriter()
    message.messageField(5) { writeBody(body, into: &$0) }
    return message.bytes
  }

  /// `HttpHeaders`: a `HeaderMap` (field 1) of `HeaderValue`s with `key` (1) and `raw_value`
  /// (3), as Envoy 1.32+ sends them, and `end_of_stream` (3).
  private static func writeHeaders(
    _ headers: [(String, String)], endOfStream: Bool, into writer: inout ProtobufWriter
  ) {
    writer.messageField(1) { map in
      for (name, value) in headers {
        map.messageField(1) { header in
          header.stringField(1, name)
          header.stringField(3, value)
        }
      }
    }
    if endOfStream { writer.varintField(3, 1) }
  }

  /// `HttpBody`: `body` (1) and `end_of_stream` (2).
  private static func writeBody(_ body: [UInt8], into writer: inout ProtobufWriter) {
    writer.bytesField(1, body)
    writer.varintField(2, 1)
  }
}
