#if canImport(Glibc)
  import Glibc
#endif

/// Wall-clock times as RFC 3339 text in UTC with milliseconds (`2026-12-07T04:35:00.123Z`), the
/// `timestamp` of JSON log and access-log lines.
package enum RFC3339Timestamp {
  /// The current time.
  package static func now() -> String {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return format(seconds: spec.tv_sec, milliseconds: Int(spec.tv_nsec / 1_000_000))
  }

  /// `seconds` since the Unix epoch plus `milliseconds` (0–999).
  package static func format(seconds: Int, milliseconds: Int) -> String {
    var time = seconds
    var parts = tm()
    gmtime_r(&time, &parts)
    var text = ""
    text.reserveCapacity(24)
    func append(_ value: Int, width: Int) {
      let digits = String(value)
      text += String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
    append(Int(parts.tm_year) + 1900, width: 4)
    text += "-"
    append(Int(parts.tm_mon) + 1, width: 2)
    text += "-"
    append(Int(parts.tm_mday), width: 2)
    text += "T"
    append(Int(parts.tm_hour), width: 2)
    text += ":"
    append(Int(parts.tm_min), width: 2)
    text += ":"
    append(Int(parts.tm_sec), width: 2)
    text += "."
    append(milliseconds, width: 3)
    text += "Z"
    return text
  }
}
