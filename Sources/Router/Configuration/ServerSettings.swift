/// `server:`: limits of the ext_proc listener `serve` runs (gRPC over HTTP/2).
public struct ServerSettings: Sendable, Equatable {
  /// Envoy's `max_request_headers_kb` default, 60 KiB.
  public static let defaultMaxHeaderListBytes = 60 << 10
  /// Envoy's `max_headers_count` default.
  public static let defaultMaxHeaderCount = 100
  /// Envoy connects with prior knowledge and sends its preface at once.
  public static let defaultPrefaceTimeout = Duration.seconds(10)
  /// Envoy's HTTP `idle_timeout` default, 1 h.
  public static let defaultIdleTimeout = Duration.seconds(3600)
  /// 1 h, not Envoy's 5 min `stream_idle_timeout`: an ext_proc stream is silent while the model
  /// generates (the whole generation with a BUFFERED response body).
  public static let defaultStreamIdleTimeout = Duration.seconds(3600)
  /// Envoy's default circuit breaker `max_connections`.
  public static let defaultMaxConnections = 1024
  /// Four 4 MiB messages (the default gRPC message limit); Envoy's 1 MiB
  /// `per_connection_buffer_limit_bytes` would not fit one.
  public static let defaultMaxConnectionInputBytes = 16 << 20
  /// A few whole answers of the largest size a model returns.
  public static let defaultMaxConnectionOutputBytes = 16 << 20
  /// Long enough for a slow but reading client to drain a full output cap.
  public static let defaultOutputStallTimeout = Duration.seconds(30)
  /// Sixteen connections at their input cap.
  public static let defaultMaxBufferedBytes = 256 << 20

  /// The largest header block accepted on one HTTP/2 stream, counted as
  /// SETTINGS_MAX_HEADER_LIST_SIZE counts it (name + value + 32 bytes per field); a larger one
  /// resets its stream. Envoy's ext_proc streams carry a few hundred bytes: the HTTP request's
  /// own headers travel inside the protobuf messages, not as HTTP/2 headers.
  public var maxHeaderListBytes: Int
  /// The most fields accepted in one header block; one more resets the stream.
  public var maxHeaderCount: Int
  /// A connection that has not sent the HTTP/2 preface and its SETTINGS by then is closed;
  /// zero is off.
  public var prefaceTimeout: Duration
  /// A connection without open streams this long gets GOAWAY and is closed; zero is off.
  public var idleTimeout: Duration
  /// A stream without a frame either way this long is reset (CANCEL); zero is off.
  public var streamIdleTimeout: Duration
  /// A connection this old (±10%) gets GOAWAY and closes once its streams finish; zero (the
  /// default) is off.
  public var maxConnectionAge: Duration
  /// Connections past this many are accepted and closed at once.
  public var maxConnections: Int
  /// TLS (and mutual TLS) on the listener; nil serves h2c.
  public var tls: ServerTLSSettings?
  /// Request bytes one connection may hold unconsumed (partial messages): its HTTP/2
  /// connection window, granted again only as messages complete; when full, new streams are
  /// refused (REFUSED_STREAM).
  public var maxConnectionInputBytes: Int
  /// Response bytes one connection may hold queued for a peer that does not read; past it new
  /// streams are refused, and after `outputStallTimeout` still past it the connection closes.
  public var maxConnectionOutputBytes: Int
  /// How long a connection may stay past `maxConnectionOutputBytes` before it is closed; zero
  /// is off (it is only refused new streams).
  public var outputStallTimeout: Duration
  /// Request and response bytes held by all connections together; past it every connection
  /// refuses new streams (REFUSED_STREAM).
  public var maxBufferedBytes: Int

  public init(
    maxHeaderListBytes: Int = ServerSettings.defaultMaxHeaderListBytes,
    maxHeaderCount: Int = ServerSettings.defaultMaxHeaderCount,
    prefaceTimeout: Duration = ServerSettings.defaultPrefaceTimeout,
    idleTimeout: Duration = ServerSettings.defaultIdleTimeout,
    streamIdleTimeout: Duration = ServerSettings.defaultStreamIdleTimeout,
    maxConnectionAge: Duration = .zero,
    maxConnections: Int = ServerSettings.defaultMaxConnections,
    maxConnectionInputBytes: Int = ServerSettings.defaultMaxConnectionInputBytes,
    maxConnectionOutputBytes: Int = ServerSettings.defaultMaxConnectionOutputBytes,
    outputStallTimeout: Duration = ServerSettings.defaultOutputStallTimeout,
    maxBufferedBytes: Int = ServerSettings.defaultMaxBufferedBytes,
    tls: ServerTLSSettings? = nil
  ) {
    self.maxHeaderListBytes = maxHeaderListBytes
    self.maxHeaderCount = maxHeaderCount
    self.prefaceTimeout = prefaceTimeout
    self.idleTimeout = idleTimeout
    self.streamIdleTimeout = streamIdleTimeout
    self.maxConnectionAge = maxConnectionAge
    self.maxConnections = maxConnections
    self.tls = tls
    self.maxConnectionInputBytes = maxConnectionInputBytes
    self.maxConnectionOutputBytes = maxConnectionOutputBytes
    self.outputStallTimeout = outputStallTimeout
    self.maxBufferedBytes = maxBufferedBytes
  }
}
