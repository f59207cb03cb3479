import Glibc
import Logging

/// Watches one file for changes and calls `onChange` on its own thread once the changes have
/// settled.
///
/// It watches the file's directory through inotify, not the file: editors and Kubernetes replace
/// files by rename (a ConfigMap volume swaps its `..data` symlink, and the file's own path never
/// changes), which a watch on the file itself would miss. Any event in the directory counts; a
/// burst of them (a write in several parts, a rename after a write) becomes one call once the
/// directory has been quiet for `settle`. The caller decides whether the content really changed.
public final class FileChangeWatcher: Sendable {
  /// Directory events that can change what reading the file gives.
  private static let mask =
    UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO) | UInt32(IN_MOVED_FROM) | UInt32(IN_CREATE)
    | UInt32(IN_DELETE) | UInt32(IN_ATTRIB)

  private let group: EventLoopGroup

  /// Starts watching the directory of `path`. Throws when the directory cannot be watched.
  public init(
    path: String, settle: Duration = .milliseconds(100), logger: Logger,
    onChange: @escaping @Sendable () -> Void
  ) throws {
    let directory = Self.directory(of: path)
    let fd = try Syscall.inotifyWatch(directory: directory, mask: Self.mask)
    let group: EventLoopGroup
    do {
      group = try EventLoopGroup(count: 1)
    } catch {
      Syscall.close(fd)
      throw error
    }
    self.group = group
    let loop = group.loops[0]
    let settleNanoseconds = UInt64(settle.components.seconds) * 1_000_000_000
      + UInt64(settle.components.attoseconds / 1_000_000_000)
    loop.execute {
      let watch = DirectoryWatch(
        fd: fd, loop: loop, settleNanoseconds: settleNanoseconds, onChange: onChange)
      do {
        try loop.register(fd: fd, handler: watch)
      } catch {
        logger.error("cannot watch \(directory) for config changes: \(error)")
        Syscall.close(fd)
      }
    }
    logger.info("watching the config file for changes", metadata: ["path": "\(path)"])
  }

  /// Stops watching and joins the thread. Never call it from `onChange`.
  public func stop() {
    group.stop()
    group.join()
  }

  private static func directory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }
}

/// The inotify descriptor on the watcher's loop: drains events and calls back once they settle.
private final class DirectoryWatch: Selectable {
  private let fd: Int32
  private let loop: EventLoop
  private let settleNanoseconds: UInt64
  private let onChange: @Sendable () -> Void
  private var settleTimer: TimerID?

  init(
    fd: Int32, loop: EventLoop, settleNanoseconds: UInt64, onChange: @escaping @Sendable () -> Void
  ) {
    self.fd = fd
    self.loop = loop
    self.settleNanoseconds = settleNanoseconds
    self.onChange = onChange
  }

  deinit { Syscall.close(fd) }

  /// Nothing to do: the loop drops its registration, and `deinit` closes the descriptor.
  func loopStopped() {}

  func readable() {
    // The events themselves do not matter, only that some came: drain them all.
    while case .processed(let count) = (try? Syscall.read(fd, loop.readBuffer)) ?? .wouldBlock,
      count > 0
    {}
    if let settleTimer { loop.cancelTimer(settleTimer) }
    settleTimer = loop.scheduleTimer(afterNanoseconds: settleNanoseconds) { [unowned self] in
      settleTimer = nil
      onChange()
    }
  }

  func writable() {}
}
