/// `server:`: limits of the ext_proc listener `serve` runs (gRPC over HTTP/2).
public struct ServerSettings: Sendable, Equatable {
  /// Envoy's `max_request_headers_kb` default, 60 KiB.
  public static let defaultMaxHeaderListBytes = 60 << 10
  /// Envoy's `max_headers_count` default.
  public static let defaultMaxHeaderCount = 100

  /// The largest header block accepted on one HTTP/2 stream, counted as
  /// SETTINGS_MAX_HEADER_LIST_SIZE counts it (name + value + 32 bytes per field); a larger one
  /// resets its stream. Envoy's ext_proc streams carry a few hundred bytes: the HTTP request's
  /// own headers travel inside the protobuf messages, not as HTTP/2 headers.
  public var maxHeaderListBytes: Int
  /// The most fields accepted in one header block; one more resets the stream.
  public var maxHeaderCount: Int

  public init(
    maxHeaderListBytes: Int = ServerSettings.defaultMaxHeaderListBytes,
    maxHeaderCount: Int = ServerSettings.defaultMaxHeaderCount
  ) {
    self.maxHeaderListBytes = maxHeaderListBytes
    self.maxHeaderCount = maxHeaderCount
  }
}
