import Glibc
import Synchronization

/// Writes command-line diagnostics to stderr (stdout stays for the command's output).
enum StandardError {
  static func write(_ text: String) {
    var text = text
    text.withUTF8 { bytes in _ = Glibc.write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
  }

  private static let lineLock = Mutex(())

  /// Writes one whole line, retrying short writes, under a process-wide lock so lines from
  /// several threads never interleave (JSON log lines).
  static func writeLine(_ line: [UInt8]) {
    lineLock.withLock { _ in
      line.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
          let written = Glibc.write(
            STDERR_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
          if written < 0 {
            if errno == EINTR { continue }
            return  // stderr is gone: nothing to tell
          }
          offset += written
        }
      }
    }
  }
}
