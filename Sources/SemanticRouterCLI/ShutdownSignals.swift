import Glibc

/// Waits for SIGTERM or SIGINT on the main thread.
///
/// `block()` must run before any other thread starts, so every thread inherits the mask and the
/// signals stay pending until `wait()` takes them: no async-signal-safety concerns at all.
enum ShutdownSignals {
  private static func signalSet() -> sigset_t {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGTERM)
    sigaddset(&set, SIGINT)
    return set
  }

  static func block() {
    var set = signalSet()
    pthread_sigmask(SIG_BLOCK, &set, nil)
    // A peer closing a socket must be an EPIPE, not a process kill.
    signal(SIGPIPE, SIG_IGN)
  }

  /// Returns the signal's name once one arrives.
  static func wait() -> String {
    var set = signalSet()
    var received: Int32 = 0
    while sigwait(&set, &received) != 0 {}
    return received == SIGTERM ? "SIGTERM" : "SIGINT"
  }
}
