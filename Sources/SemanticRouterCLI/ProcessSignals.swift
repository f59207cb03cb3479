import Glibc

/// The signals `serve` acts on, taken on the main thread: SIGTERM and SIGINT stop it, SIGHUP
/// reloads the config.
///
/// `block()` must run before any other thread starts, so every thread inherits the mask and the
/// signals stay pending until `wait()` takes them: no async-signal-safety concerns at all.
enum ProcessSignals {
  enum Received {
    /// SIGTERM or SIGINT, by name.
    case stop(String)
    /// SIGHUP.
    case reload
  }

  private static func signalSet() -> sigset_t {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGTERM)
    sigaddset(&set, SIGINT)
    sigaddset(&set, SIGHUP)
    return set
  }

  static func block() {
    var set = signalSet()
    pthread_sigmask(SIG_BLOCK, &set, nil)
    // A peer closing a socket must be an EPIPE, not a process kill.
    signal(SIGPIPE, SIG_IGN)
  }

  /// Returns once one of the signals arrives.
  static func wait() -> Received {
    var set = signalSet()
    var received: Int32 = 0
    while sigwait(&set, &received) != 0 {}
    switch received {
    case SIGHUP: return .reload
    case SIGTERM: return .stop("SIGTERM")
    default: return .stop("SIGINT")
    }
  }
}
