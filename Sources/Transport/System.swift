internal import CSystemShims
import Glibc

#if !os(Linux)
  #error("The transport is Linux-only: it is built on epoll, eventfd and accept4.")
#endif

/// The result of a non-blocking I/O call: either it did some work, or the kernel said "try later"
/// (EAGAIN/EWOULDBLOCK), which is a normal outcome, not an error.
package enum IOResult<Value: Sendable>: Sendable {
  case processed(Value)
  case wouldBlock
}

/// A failed system call, with the call's name and `errno`.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The name of the failing call, e.g. `bind`.
  public var function: String
  /// The `errno` value it set.
  public var errno: Int32

  public init(function: String, errno: Int32) {
    self.function = function
    self.errno = errno
  }

  public var description: String {
    "\(function) failed: \(String(cString: strerror(errno))) (errno \(errno))"
  }
}

/// Every system call the transport makes, in one place.
///
/// Each wrapper retries on EINTR, turns EAGAIN/EWOULDBLOCK into `.wouldBlock` where the call is
/// non-blocking, throws `SystemError` for the rest and traps on EBADF/EFAULT, which can only be
/// programming errors in this layer.
package enum Syscall {
  @inline(__always)
  private static func checkProgrammerError(_ code: Int32, _ function: StaticString) {
    precondition(code != EBADF && code != EFAULT, "\(function): programming error, errno \(code)")
  }

  /// Runs `body` until it does not fail with EINTR; returns its result or throws.
  @inline(__always)
  private static func retrying<T: FixedWidthInteger>(
    _ function: StaticString, _ body: () -> T
  ) throws(SystemError) -> T {
    while true {
      let result = body()
      if result >= 0 { return result }
      let code = Glibc.errno
      if code == EINTR { continue }
      checkProgrammerError(code, function)
      throw SystemError(function: "\(function)", errno: code)
    }
  }

  /// Like `retrying`, but EAGAIN/EWOULDBLOCK come back as `.wouldBlock`.
  @inline(__always)
  private static func retryingNonBlocking<T: FixedWidthInteger & Sendable>(
    _ function: StaticString, _ body: () -> T
  ) throws(SystemError) -> IOResult<T> {
    while true {
      let result = body()
      if result >= 0 { return .processed(result) }
      let code = Glibc.errno
      if code == EINTR { continue }
      if code == EAGAIN || code == EWOULDBLOCK { return .wouldBlock }
      checkProgrammerError(code, function)
      throw SystemError(function: "\(function)", errno: code)
    }
  }

  // MARK: - Files and sockets

  @inline(never)
  package static func close(_ fd: Int32) {
    // Linux releases the descriptor even when close fails with EINTR, so never retry.
    let result = Glibc.close(fd)
    if result < 0 { checkProgrammerError(Glibc.errno, "close") }
  }

  @inline(never)
  package static func read(
    _ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer
  ) throws(SystemError) -> IOResult<Int> {
    try retryingNonBlocking("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
  }

  @inline(never)
  package static func write(
    _ fd: Int32, _ buffer: UnsafeRawBufferPointer
  ) throws(SystemError) -> IOResult<Int> {
    try retryingNonBlocking("write") {
      Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
    }
  }

  @inline(never)
  package static func socket(domain: Int32, type: Int32) throws(SystemError) -> Int32 {
    try retrying("socket") {
      Glibc.socket(domain, type | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    }
  }

  @inline(never)
  package static func socketpair() throws(SystemError) -> (Int32, Int32) {
    var fds: (Int32, Int32) = (-1, -1)
    _ = try withUnsafeMutablePointer(to: &fds) { pointer throws(SystemError) in
      try pointer.withMemoryRebound(to: Int32.self, capacity: 2) { fdsPointer throws(SystemError) in
        try retrying("socketpair") {
          Glibc.socketpair(
            AF_UNIX,
            Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
              | Int32(SOCK_CLOEXEC.rawValue),
            0, fdsPointer)
        }
      }
    }
    return fds
  }

  @inline(never)
  package static func setIntOption(
    _ fd: Int32, level: Int32, name: Int32, value: Int32
  ) throws(SystemError) {
    var value = value
    _ = try retrying("setsockopt") {
      Glibc.setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }
  }

  @inline(never)
  package static func bind(_ fd: Int32, _ address: SocketAddress) throws(SystemError) {
    _ = try address.withSockAddr { pointer, length throws(SystemError) in
      try retrying("bind") { Glibc.bind(fd, pointer, length) }
    }
  }

  @inline(never)
  package static func listen(_ fd: Int32, backlog: Int32) throws(SystemError) {
    _ = try retrying("listen") { Glibc.listen(fd, backlog) }
  }

  /// Accepts one connection, non-blocking and close-on-exec from the start (`accept4`).
  @inline(never)
  package static func accept(_ fd: Int32) throws(SystemError) -> IOResult<Int32> {
    try retryingNonBlocking("accept4") {
      CSystemShims_accept4(fd, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
    }
  }

  /// Opens `/dev/null` read-only and close-on-exec: a descriptor held in reserve, to be closed
  /// when the process runs out so one pending connection can still be accepted and closed.
  /// Nil if even that fails.
  @inline(never)
  package static func openReserveDescriptor() -> Int32? {
    while true {
      let fd = Glibc.open("/dev/null", O_RDONLY | O_CLOEXEC)
      if fd >= 0 { return fd }
      if Glibc.errno != EINTR { return nil }
    }
  }

  /// Shuts the sending side of a socket (our FIN) and keeps it open for reading. A failure
  /// (the peer already reset) is ignored: the connection is closing anyway.
  @inline(never)
  package static func shutdownWrite(_ fd: Int32) {
    if Glibc.shutdown(fd, Int32(SHUT_WR)) < 0 { checkProgrammerError(Glibc.errno, "shutdown") }
  }

  /// Starts a non-blocking connect; `.wouldBlock` means "in progress, wait for writability".
  @inline(never)
  package static func connect(
    _ fd: Int32, _ address: SocketAddress
  ) throws(SystemError) -> IOResult<Void> {
    while true {
      let result = address.withSockAddr { pointer, length in Glibc.connect(fd, pointer, length) }
      if result == 0 { return .processed(()) }
      let code = Glibc.errno
      if code == EINTR { continue }
      if code == EINPROGRESS { return .wouldBlock }
      checkProgrammerError(code, "connect")
      throw SystemError(function: "connect", errno: code)
    }
  }

  /// The pending error of a socket (`SO_ERROR`), 0 when none.
  @inline(never)
  package static func socketError(_ fd: Int32) throws(SystemError) -> Int32 {
    var value: Int32 = 0
    var length = socklen_t(MemoryLayout<Int32>.size)
    _ = try retrying("getsockopt") { Glibc.getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length) }
    return value
  }

  @inline(never)
  package static func localAddress(_ fd: Int32) throws(SystemError) -> SocketAddress {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    _ = try withUnsafeMutablePointer(to: &storage) { pointer throws(SystemError) in
      try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(SystemError) in
        try retrying("getsockname") { Glibc.getsockname(fd, sa, &length) }
      }
    }
    return SocketAddress(storage: storage)
  }

  @inline(never)
  package static func peerAddress(_ fd: Int32) throws(SystemError) -> SocketAddress {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    _ = try withUnsafeMutablePointer(to: &storage) { pointer throws(SystemError) in
      try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(SystemError) in
        try retrying("getpeername") { Glibc.getpeername(fd, sa, &length) }
      }
    }
    return SocketAddress(storage: storage)
  }

  // MARK: - inotify

  /// A non-blocking inotify instance watching directory `path` for `mask`.
  package static func inotifyWatch(directory path: String, mask: UInt32) throws(SystemError)
    -> Int32
  {
    let fd = try retrying("inotify_init1") { inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC)) }
    do {
      _ = try retrying("inotify_add_watch") { inotify_add_watch(fd, path, mask) }
    } catch {
      close(fd)
      throw error
    }
    return fd
  }

  // MARK: - epoll and eventfd

  @inline(never)
  package static func epollCreate() throws(SystemError) -> Int32 {
    try retrying("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
  }

  @inline(never)
  package static func epollControl(
    _ epollFD: Int32, _ operation: Int32, _ fd: Int32, events: UInt32, data: UInt64
  ) throws(SystemError) {
    var event = epoll_event()
    event.events = events
    event.data.u64 = data
    _ = try retrying("epoll_ctl") { epoll_ctl(epollFD, operation, fd, &event) }
  }

  /// Waits for events; returns how many were written into `events` (0 on timeout).
  @inline(never)
  static func epollWait(
    _ epollFD: Int32, _ events: UnsafeMutableBufferPointer<epoll_event>, timeoutMilliseconds: Int32
  ) throws(SystemError) -> Int {
    let count = epoll_wait(epollFD, events.baseAddress, Int32(events.count), timeoutMilliseconds)
    if count >= 0 { return Int(count) }
    let code = Glibc.errno
    if code == EINTR { return 0 }
    checkProgrammerError(code, "epoll_wait")
    throw SystemError(function: "epoll_wait", errno: code)
  }

  @inline(never)
  package static func eventFD() throws(SystemError) -> Int32 {
    try retrying("eventfd") { eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC)) }
  }

  /// Adds one to an eventfd counter, waking whoever polls it. A full counter is already awake.
  @inline(never)
  package static func eventFDSignal(_ fd: Int32) {
    var one: UInt64 = 1
    while Glibc.write(fd, &one, 8) < 0 {
      let code = Glibc.errno
      if code == EINTR { continue }
      checkProgrammerError(code, "eventfd write")
      return
    }
  }

  /// Resets an eventfd counter to zero.
  @inline(never)
  package static func eventFDDrain(_ fd: Int32) {
    var value: UInt64 = 0
    while Glibc.read(fd, &value, 8) < 0 {
      if Glibc.errno == EINTR { continue }
      return
    }
  }

  // MARK: - Time

  /// Monotonic clock in nanoseconds.
  @inline(__always)
  package static func monotonicNanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
  }
}
