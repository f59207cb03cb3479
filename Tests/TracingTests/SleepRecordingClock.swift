import Synchronization

@testable import Tracing

/// An export clock on which every wait ends at once by moving time to its deadline, and is
/// recorded: exporters' retry backoff runs on it without waiting.
final class SleepRecordingClock: ExportClock {
  private struct State {
    var now: ContinuousClock.Instant
    var sleeps: [Duration] = []
  }

  private let state: Mutex<State>

  init(start: ContinuousClock.Instant = .now) {
    state = Mutex(State(now: start))
  }

  var now: ContinuousClock.Instant { state.withLock { $0.now } }

  /// The waits, in order.
  var durations: [Duration] { state.withLock { $0.sleeps } }

  func wait(until deadline: ContinuousClock.Instant, wakingOn wakeup: ExportWakeup) {
    state.withLock { state in
      guard deadline > state.now else { return }
      state.sleeps.append(state.now.duration(to: deadline))
      state.now = deadline
    }
  }
}
