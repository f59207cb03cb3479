import Synchronization

/// A flag another thread raises to end an `HTTPClient`'s request in progress and refuse later
/// ones (e.g. a shutdown that must not wait for a collector's answer).
///
/// libcurl checks it from its progress callback, which it calls many times a second while data
/// moves and about once a second while it waits (for a name, a connection or an answer): the
/// request ends with `HTTPClientError.Reason.cancelled` within about a second.
public final class HTTPClientCancellation: Sendable {
  private let flag = Atomic<Bool>(false)

  public init() {}

  /// Ends the request in progress, if any, and every later one.
  public func cancel() {
    flag.store(true, ordering: .releasing)
  }

  public var isCancelled: Bool { flag.load(ordering: .acquiring) }
}
