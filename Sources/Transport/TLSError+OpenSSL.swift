internal import COpenSSL

extension TLSError {
  /// An error whose message is OpenSSL's queued reasons (this thread's error queue, which is
  /// emptied), after `prefix` when given; `fallback` when the queue is empty.
  static func fromErrorQueue(_ reason: Reason, prefix: String? = nil, fallback: String) -> TLSError
  {
    let reasons = drainErrorQueue()
    let detail = reasons.isEmpty ? fallback : reasons.joined(separator: "; ")
    return TLSError(reason, prefix.map { "\($0): \(detail)" } ?? detail)
  }

  /// The reason strings of this thread's OpenSSL error queue, oldest first, emptying it.
  static func drainErrorQueue() -> [String] {
    var reasons: [String] = []
    while true {
      let code = ERR_get_error()
      guard code != 0 else { return reasons }
      if let text = ERR_reason_error_string(code) {
        reasons.append(String(cString: text))
      } else {
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map(UInt8.init), as: UTF8.self))
      }
    }
  }
}
