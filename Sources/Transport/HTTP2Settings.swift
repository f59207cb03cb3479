/// The HTTP/2 settings and nghttp2 options this end of a connection uses.
public struct HTTP2Settings: Sendable {
  /// SETTINGS_MAX_CONCURRENT_STREAMS we advertise.
  public var maxConcurrentStreams: UInt32 = 1024
  /// SETTINGS_INITIAL_WINDOW_SIZE we advertise: how much each stream may send before we open
  /// its window again (1 MiB lets a 1 MiB body arrive without waiting for WINDOW_UPDATEs).
  public var initialStreamWindowSize: UInt32 = 1 << 20
  /// Our connection-level receive window, raised from the protocol's 65,535 at start.
  public var connectionWindowSize: UInt32 = 4 << 20
  /// Resets the peer may send in a burst, and per second after it, before nghttp2 answers
  /// GOAWAY (its CVE-2023-44487 guard). Envoy resets every finished ext_proc stream, so the
  /// library's defaults (1000 and 33/s) are far too low for this traffic.
  public var streamResetBurst: UInt64 = 1 << 40
  public var streamResetRatePerSecond: UInt64 = 1 << 40
  /// The largest header list we accept in one header block, counted as RFC 9113 §6.5.2 counts
  /// it (name + value + 32 per field) and advertised as SETTINGS_MAX_HEADER_LIST_SIZE. A block
  /// past it is not copied further and its stream is reset. 60 KiB is Envoy's
  /// `max_request_headers_kb` default.
  public var maxHeaderListBytes: UInt32 = 60 << 10
  /// The most fields we accept in one header block (Envoy's `max_headers_count` default).
  public var maxHeaderCount: Int = 100
  /// Where refused header blocks are counted; shared by every connection with these settings.
  public var headerLimitCounters = HTTP2HeaderLimitCounters()

  public init() {}
}
