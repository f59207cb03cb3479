import Glibc

/// A port on 127.0.0.1 bound but not listening, held until `close()`: connecting to it is
/// refused, and no other socket can take it meanwhile.
struct UnlistenedPort {
  let number: Int
  private let fd: Int32

  init() {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    withUnsafeMutablePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
        precondition(bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0)
      }
    }
    self.fd = fd
    number = Int(UInt16(bigEndian: address.sin_port))
  }

  func close() { _ = Glibc.close(fd) }
}
