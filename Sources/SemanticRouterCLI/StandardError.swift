import Glibc

/// Writes command-line diagnostics to stderr (stdout stays for the command's output).
enum StandardError {
  static func write(_ text: String) {
    var text = text
    text.withUTF8 { bytes in _ = Glibc.write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
  }
}
