import Glibc

/// A file rewritten with each fuzzed input, for readers that take a path (a model folder's
/// files are read from disk). One per fuzzing process: the name carries the process id, so
/// targets running side by side do not share one.
public final class ScratchFile: Sendable {
  public let path: String

  /// A file named `name` (with the process id) in `$TMPDIR` (Tests/Fuzz/run points it at a
  /// folder it removes afterwards), else /tmp.
  public init(name: String) {
    let directory = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    path = "\(directory)/\(getpid())-\(name)"
  }

  /// Replaces the file's contents with `bytes`.
  public func write(_ bytes: UnsafeRawBufferPointer) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    precondition(fd >= 0, "cannot create \(path): errno \(errno)")
    defer { close(fd) }
    var offset = 0
    while offset < bytes.count {
      let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
      precondition(written > 0 || errno == EINTR, "cannot write \(path): errno \(errno)")
      if written > 0 { offset += written }
    }
  }
}
