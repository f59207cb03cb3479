import Synchronization

/// The serving status of each health-checked service, as `grpc.health.v1.Health` reports it.
///
/// The empty name stands for the whole server. Every status is SERVING until changed; after
/// `enterShutdown()` every service is NOT_SERVING for good. Watchers hear every change.
/// See grpc/doc/health-checking.md.
public final class GRPCHealthStatusRegistry: Sendable {
  /// `grpc.health.v1.HealthCheckResponse.ServingStatus`.
  public enum ServingStatus: Int32, Sendable {
    case unknown = 0
    case serving = 1
    case notServing = 2
    /// Only sent by Watch, for a service name nobody registered.
    case serviceUnknown = 3
  }

  /// A status change for one watcher; `final` means the server is shutting down.
  typealias WatchCallback = @Sendable (ServingStatus, _ final: Bool) -> Void

  private struct Watcher {
    var service: String
    var callback: WatchCallback
  }

  private struct State {
    var statuses: [String: ServingStatus] = ["": .serving]
    var shuttingDown = false
    var watchers: [UInt64: Watcher] = [:]
    var nextWatcherID: UInt64 = 0
  }

  private let state = Mutex(State())

  public init() {}

  /// Sets a service's status (registering the name). Ignored once shutting down.
  public func setStatus(_ status: ServingStatus, forService service: String) {
    let toNotify = state.withLock { state -> [WatchCallback] in
      guard !state.shuttingDown, state.statuses[service] != status else { return [] }
      state.statuses[service] = status
      return state.watchers.values.filter { $0.service == service }.map(\.callback)
    }
    for callback in toNotify { callback(status, false) }
  }

  /// The status of `service`, or nil when the name is unknown.
  public func status(forService service: String) -> ServingStatus? {
    state.withLock { $0.statuses[service] }
  }

  /// Marks every service NOT_SERVING for good and tells every watcher (their calls then end).
  public func enterShutdown() {
    let toNotify = state.withLock { state -> [(WatchCallback, ServingStatus)] in
      guard !state.shuttingDown else { return [] }
      state.shuttingDown = true
      for name in state.statuses.keys { state.statuses[name] = .notServing }
      return state.watchers.values.map { watcher in
        (watcher.callback, state.statuses[watcher.service] ?? .serviceUnknown)
      }
    }
    for (callback, status) in toNotify { callback(status, true) }
  }

  /// Adds a watcher; returns its id, the current status (SERVICE_UNKNOWN for an unknown name) and
  /// whether the server is already shutting down.
  func watch(
    service: String, callback: @escaping WatchCallback
  ) -> (id: UInt64, status: ServingStatus, final: Bool) {
    state.withLock { state in
      state.nextWatcherID += 1
      state.watchers[state.nextWatcherID] = Watcher(service: service, callback: callback)
      return (
        state.nextWatcherID, state.statuses[service] ?? .serviceUnknown, state.shuttingDown
      )
    }
  }

  func unwatch(_ id: UInt64) {
    _ = state.withLock { $0.watchers.removeValue(forKey: id) }
  }
}
