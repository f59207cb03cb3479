import Glibc

/// A port on 127.0.0.1 bound but not listening, held until `close()`: connecting to it is
/// refused, and no other socket can take it meanwhile.
struct UnlistenedPort {
  let number: Int
  private let fd: Int32

  init() throws {
    (fd, number) = try bindLoopback()
  }

  func close() { _ = Glibc.close(fd) }
}

/// A listening socket on 127.0.0.1 that never answers: connections complete in the backlog and
/// then hear nothing.
struct SilentListener {
  let port: Int
  private let fd: Int32

  init() throws {
    (fd, port) = try bindLoopback()
    guard listen(fd, 8) == 0 else { throw TLSTestSetupError("listen: \(errno)") }
  }

  /// Blocks until a client has connected and returns its socket, never written to (the caller
  /// closes it): proof that a request is under way.
  func acceptConnection() -> Int32 {
    Glibc.accept(fd, nil, nil)
  }

  func close() { _ = Glibc.close(fd) }
}

/// A blocking TCP socket connected to 127.0.0.1:`port`, and 0; or, when connecting failed, the
/// socket and connect's errno. The caller closes the socket either way.
func connectLoopback(port: Int) -> (fd: Int32, error: Int32) {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
  guard fd >= 0 else { return (fd, errno) }
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_port = UInt16(port).bigEndian
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  let connected = withUnsafePointer(to: &address) { pointer in
    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
      Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
    }
  }
  return (fd, connected ? 0 : errno)
}

/// A TCP socket bound to 127.0.0.1 on an ephemeral port, and the port.
private func bindLoopback() throws -> (Int32, Int) {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  var length = socklen_t(MemoryLayout<sockaddr_in>.size)
  let bound = withUnsafeMutablePointer(to: &address) { pointer in
    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
      bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
    }
  }
  guard fd >= 0, bound else { throw TLSTestSetupError("cannot bind 127.0.0.1") }
  return (fd, Int(UInt16(bigEndian: address.sin_port)))
}
