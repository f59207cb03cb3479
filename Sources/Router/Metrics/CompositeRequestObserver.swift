public import ExtProc

/// Passes every hook to several observers (tracing and metrics), in order; the upstream headers
/// they return are combined.
public final class CompositeRequestObserver: RequestObserver {
  private let observers: [any RequestObserver]

  public init(_ observers: [any RequestObserver]) {
    self.observers = observers
  }

  public func requestStarted(method: String, path: String, headers: HTTPHeaders) {
    for observer in observers { observer.requestStarted(method: method, path: path, headers: headers) }
  }

  public func guardsStarted() {
    for observer in observers { observer.guardsStarted() }
  }

  public func guardsFinished(_ record: GuardRecord) {
    for observer in observers { observer.guardsFinished(record) }
  }

  public func classificationStarted() {
    for observer in observers { observer.classificationStarted() }
  }

  public func classificationFinished(_ classification: Classification) {
    for observer in observers { observer.classificationFinished(classification) }
  }

  public func cacheLookupStarted() {
    for observer in observers { observer.cacheLookupStarted() }
  }

  public func cacheLookupFinished(hit: Bool) {
    for observer in observers { observer.cacheLookupFinished(hit: hit) }
  }

  public func routingStarted() {
    for observer in observers { observer.routingStarted() }
  }

  public func routed(_ record: RoutingRecord) -> [(name: String, value: String)] {
    observers.flatMap { $0.routed(record) }
  }

  public func immediateResponse(status: Int, reason: String, record: RoutingRecord?) {
    for observer in observers {
      observer.immediateResponse(status: status, reason: reason, record: record)
    }
  }

  public func responseStarted(status: Int) {
    for observer in observers { observer.responseStarted(status: status) }
  }

  public func firstToken() {
    for observer in observers { observer.firstToken() }
  }

  public func responseFinished(_ summary: OpenAIResponseSummary) {
    for observer in observers { observer.responseFinished(summary) }
  }

  public func responseLimitExceeded(_ limit: ResponseLimit) {
    for observer in observers { observer.responseLimitExceeded(limit) }
  }

  public func streamEnded(_ end: ProcessorStreamEnd) {
    for observer in observers { observer.streamEnded(end) }
  }

  public var logCorrelation: LogCorrelation? {
    observers.lazy.compactMap(\.logCorrelation).first
  }
}
