public import ExtProc
import TextCoding

/// Where access-log lines go: a writer that takes a finished line without blocking the
/// request's thread (it may drop the line when full, and count it).
public protocol AccessLogSink: Sendable {
  /// Queues one line (a JSON object and its newline).
  func submit(_ line: [UInt8])
}

/// Writes one access-log line per routed request when its ext_proc stream ends: one JSON
/// object with the request's API, category, models, endpoint, cache hit, status, outcome,
/// durations, token counts and the trace and span of its router span.
///
/// Confined to the stream's loop thread like the other observers; the line is built there and
/// handed to the sink, which writes it elsewhere.
public final class AccessLogRequestObserver: RequestObserver {
  private let sink: any AccessLogSink
  /// The router span's ids, from the tracing observer beside this one (nil when untraced).
  private let correlation: () -> LogCorrelation?
  private let now: () -> ContinuousClock.Instant
  private var timestamp = ""
  private var start: ContinuousClock.Instant
  private var classificationStart: ContinuousClock.Instant?
  private var classificationSeconds: Double?
  private var firstTokenSeconds: Double?
  private var method = ""
  private var path = ""
  private var api: String?
  private var category: String?
  private var record: RoutingRecord?
  private var cacheHit: Bool?
  private var status: Int?
  private var outcome: String?
  private var summary: OpenAIResponseSummary?

  public init(
    sink: any AccessLogSink, correlation: @escaping () -> LogCorrelation? = { nil },
    now: @escaping () -> ContinuousClock.Instant = { ContinuousClock.now }
  ) {
    self.sink = sink
    self.correlation = correlation
    self.now = now
    start = now()
  }

  public func requestStarted(method: String, path: String, headers: HTTPHeaders) {
    timestamp = RFC3339Timestamp.now()
    start = now()
    self.method = method
    self.path = path.utf8.firstIndex(of: UInt8(ascii: "?")).map { String(path[..<$0]) } ?? path
    api = OpenAIRequest.Endpoint(path: self.path)?.rawValue
  }

  public func classificationStarted() { classificationStart = now() }

  public func classificationFinished(_ classification: Classification) {
    category = classification.category
    if let classificationStart { classificationSeconds = seconds(now() - classificationStart) }
  }

  public func cacheLookupFinished(hit: Bool) { cacheHit = hit }

  public func routed(_ record: RoutingRecord) -> [(name: String, value: String)] {
    self.record = record
    return []
  }

  public func immediateResponse(status: Int, reason: String, record: RoutingRecord?) {
    if let record { self.record = record }
    self.status = status
    outcome = status < 400 ? "cache_hit" : reason
  }

  public func responseStarted(status: Int) { self.status = status }

  public func firstToken() {
    if firstTokenSeconds == nil { firstTokenSeconds = seconds(now() - start) }
  }

  public func responseFinished(_ summary: OpenAIResponseSummary) { self.summary = summary }

  public func streamEnded(_ end: ProcessorStreamEnd) {
    let outcome =
      self.outcome
      ?? MetricsRequestObserver.outcome(end, status: status, finished: summary != nil)
    var line = AccessLogLine()
    line.add("timestamp", timestamp)
    line.add("method", method)
    line.add("path", path)
    line.add("api", api)
    line.add("category", category)
    line.add("original_model", record?.originalModel)
    line.add("model", record?.selectedModel)
    line.add("endpoint", record?.endpointName)
    line.add("cache_hit", cacheHit)
    line.add("status", status)
    line.add("outcome", outcome)
    line.add("duration_ms", milliseconds(seconds(now() - start)))
    line.add("classification_ms", classificationSeconds.map(milliseconds))
    line.add("time_to_first_token_ms", firstTokenSeconds.map(milliseconds))
    line.add("input_tokens", summary?.promptTokens)
    line.add("output_tokens", summary?.completionTokens)
    let ids = correlation()
    line.add("trace_id", ids?.traceID)
    line.add("span_id", ids?.spanID)
    sink.submit(line.line)
  }

  private func seconds(_ duration: Duration) -> Double {
    let (whole, attoseconds) = duration.components
    return Double(whole) + Double(attoseconds) * 1e-18
  }

  /// Milliseconds with microsecond precision.
  private func milliseconds(_ seconds: Double) -> Double {
    (seconds * 1_000_000).rounded() / 1000
  }
}

/// One access-log JSON object, member by member; absent values are left out.
private struct AccessLogLine {
  private(set) var bytes: [UInt8] = [UInt8(ascii: "{")]

  private mutating func key(_ name: String) {
    if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
    JSONString.append(name, to: &bytes)
    bytes.append(UInt8(ascii: ":"))
  }

  mutating func add(_ name: String, _ value: String?) {
    guard let value else { return }
    key(name)
    JSONString.append(value, to: &bytes)
  }

  mutating func add(_ name: String, _ value: Int?) {
    guard let value else { return }
    key(name)
    bytes.append(contentsOf: String(value).utf8)
  }

  mutating func add(_ name: String, _ value: Double?) {
    guard let value, value.isFinite else { return }
    key(name)
    bytes.append(contentsOf: String(value).utf8)
  }

  mutating func add(_ name: String, _ value: Bool?) {
    guard let value else { return }
    key(name)
    bytes.append(contentsOf: (value ? "true" : "false").utf8)
  }

  var line: [UInt8] { bytes + Array("}\n".utf8) }
}
