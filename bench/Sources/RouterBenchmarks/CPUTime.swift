import Glibc

/// CPU time (user + system) used so far by the whole process, every thread included, from
/// `getrusage(RUSAGE_SELF)`: what a benchmark charges to the work it measures. `onThisThread`
/// is the calling thread's alone (`CLOCK_THREAD_CPUTIME_ID`): the work on a request's own path.
struct CPUTime {
  /// Microseconds of user + system CPU time.
  let microseconds: Double

  /// The process's CPU time now.
  static func now() -> CPUTime {
    var usage = rusage()
    guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { fatalError("getrusage failed") }
    func micros(_ time: timeval) -> Double { Double(time.tv_sec) * 1e6 + Double(time.tv_usec) }
    return CPUTime(microseconds: micros(usage.ru_utime) + micros(usage.ru_stime))
  }

  /// The calling thread's CPU time now.
  static func onThisThread() -> CPUTime {
    var time = timespec()
    guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time) == 0 else {
      fatalError("clock_gettime failed")
    }
    return CPUTime(microseconds: Double(time.tv_sec) * 1e6 + Double(time.tv_nsec) / 1e3)
  }

  /// Microseconds of CPU time between `earlier` and `self`.
  func since(_ earlier: CPUTime) -> Double { microseconds - earlier.microseconds }
}
