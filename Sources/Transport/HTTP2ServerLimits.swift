/// The timeouts and the connection cap of an `HTTP2Server`: what a peer that connects and then
/// stalls, idles or never leaves may hold. A nil timeout is off.
public struct HTTP2ServerLimits: Sendable {
  /// A new connection must send the HTTP/2 preface and its first SETTINGS within this, or it is
  /// closed (no GOAWAY: it has not spoken HTTP/2 yet). 10 s: a client with prior knowledge, as
  /// Envoy, sends both the moment it connects.
  public var prefaceTimeout: Duration? = .seconds(10)
  /// A connection with no open stream for this long gets GOAWAY(NO_ERROR) and is closed. 1 h, as
  /// Envoy's `common_http_protocol_options.idle_timeout`: Envoy keeps ext_proc connections
  /// pooled between requests, and reconnects on its next request after a GOAWAY.
  public var idleTimeout: Duration? = .seconds(3600)
  /// A stream with no frame in either direction for this long is reset with CANCEL. 1 h, not
  /// Envoy's 5 min `stream_idle_timeout`: an ext_proc stream is silent while the upstream model
  /// generates, and with a BUFFERED response body that is the whole generation.
  public var streamIdleTimeout: Duration? = .seconds(3600)
  /// A connection this old gets GOAWAY(NO_ERROR) and closes once its streams finish, so Envoy
  /// reconnects and spreads over the router's replicas; ±10% jitter, as gRPC's
  /// `MAX_CONNECTION_AGE`. Off by default, as in gRPC and Envoy (`max_connection_duration`).
  public var maxConnectionAge: Duration?
  /// The most connections served at once; past it a new connection is accepted and closed at
  /// once (so it leaves the kernel's backlog and its client fails fast instead of hanging).
  /// 1,024, as Envoy's default circuit breaker `max_connections` for a cluster.
  public var maxConnections = 1024
  /// Request DATA one connection may hold unconsumed (partial gRPC messages across its
  /// streams). It is the connection's flow-control window, granted again only as the handler
  /// consumes, so a peer cannot send more; within 16 KiB of full, new streams are refused.
  /// 16 MiB: Envoy's 1 MiB `per_connection_buffer_limit_bytes` would not fit one 4 MiB message
  /// (the default message limit), and a full window stalls the connection; four such fit.
  public var maxConnectionInputBytes = 16 << 20
  /// Response DATA one connection may hold queued for a peer that does not read. Past it new
  /// streams are refused; if it is still past it after `outputStallTimeout`, the connection is
  /// closed. 16 MiB: a few whole answers of the largest size a model returns.
  public var maxConnectionOutputBytes = 16 << 20
  /// How long a connection may stay past `maxConnectionOutputBytes` before it is closed (nil:
  /// never closed for it, only refused new streams).
  public var outputStallTimeout: Duration? = .seconds(30)
  /// Request and response bytes held by every connection of the process together; past it
  /// new streams are refused on every connection (Envoy retries them elsewhere, or applies
  /// `failure_mode_allow`). 256 MiB.
  public var memoryBudget = HTTP2MemoryBudget(maxBytes: 256 << 20)
  /// Where closed connections and reset streams are counted, and open connections tracked.
  public var counters = HTTP2ServerCounters()

  public init() {}
}
