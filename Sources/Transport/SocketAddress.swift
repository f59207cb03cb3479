import Glibc

/// An IPv4 or IPv6 socket address.
public struct SocketAddress: Sendable, CustomStringConvertible {
  private var storage: sockaddr_storage

  init(storage: sockaddr_storage) {
    self.storage = storage
  }

  /// Resolves `host` (a numeric address or a name) and `port`; names use the system resolver,
  /// which may block, so call this at start-up or from a background thread, not on a loop.
  public static func resolve(host: String, port: Int) throws -> SocketAddress {
    try lookup(host: host, port: port, flags: AI_PASSIVE | AI_NUMERICSERV)[0]
  }

  /// Every address of `host` (a numeric address or a name) and `port`, IPv6 and IPv4, in the
  /// system resolver's order, for a client to try one after another. Blocks like `resolve`.
  public static func resolveAll(host: String, port: Int) throws -> [SocketAddress] {
    try lookup(host: host, port: port, flags: AI_NUMERICSERV)
  }

  /// `getaddrinfo` for stream sockets; at least one address, or throws.
  private static func lookup(host: String, port: Int, flags: Int32) throws -> [SocketAddress] {
    var hints = addrinfo()
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    hints.ai_family = AF_UNSPEC
    hints.ai_flags = flags
    var result: UnsafeMutablePointer<addrinfo>?
    let code = getaddrinfo(host.isEmpty ? nil : host, String(port), &hints, &result)
    guard code == 0, result != nil else {
      throw SocketAddressError(host: host, reason: String(cString: gai_strerror(code)))
    }
    defer { freeaddrinfo(result) }
    var addresses: [SocketAddress] = []
    var next = result
    while let entry = next {
      var storage = sockaddr_storage()
      withUnsafeMutableBytes(of: &storage) { destination in
        destination.copyMemory(
          from: UnsafeRawBufferPointer(
            start: entry.pointee.ai_addr, count: Int(entry.pointee.ai_addrlen)))
      }
      addresses.append(SocketAddress(storage: storage))
      next = entry.pointee.ai_next
    }
    return addresses
  }

  /// The address family (`AF_INET` or `AF_INET6`).
  public var family: Int32 { Int32(storage.ss_family) }

  /// The port number.
  public var port: Int {
    withUnsafeBytes(of: storage) { raw in
      switch Int32(storage.ss_family) {
      case AF_INET: Int(UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port))
      case AF_INET6: Int(UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port))
      default: 0
      }
    }
  }

  /// `host:port` (IPv6 as `[host]:port`).
  public var description: String {
    var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
    return withUnsafeBytes(of: storage) { raw -> String in
      switch Int32(storage.ss_family) {
      case AF_INET:
        var address = raw.load(as: sockaddr_in.self).sin_addr
        inet_ntop(AF_INET, &address, &text, socklen_t(text.count))
        return "\(Self.string(text)):\(port)"
      case AF_INET6:
        var address = raw.load(as: sockaddr_in6.self).sin6_addr
        inet_ntop(AF_INET6, &address, &text, socklen_t(text.count))
        return "[\(Self.string(text))]:\(port)"
      case AF_UNIX:
        return "unix"
      default:
        return "unknown"
      }
    }
  }

  private static func string(_ text: [CChar]) -> String {
    String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// Calls `body` with this address as a `sockaddr` pointer and its length.
  func withSockAddr<R, E: Error>(
    _ body: (UnsafePointer<sockaddr>, socklen_t) throws(E) -> R
  ) throws(E) -> R {
    let length: socklen_t =
      switch Int32(storage.ss_family) {
      case AF_INET: socklen_t(MemoryLayout<sockaddr_in>.size)
      case AF_INET6: socklen_t(MemoryLayout<sockaddr_in6>.size)
      default: socklen_t(MemoryLayout<sockaddr_storage>.size)
      }
    var copy = storage
    return try withUnsafePointer(to: &copy) { pointer throws(E) in
      try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(E) in
        try body(sa, length)
      }
    }
  }
}

/// A host name or address that could not be resolved.
public struct SocketAddressError: Error, Sendable, CustomStringConvertible {
  public var host: String
  public var reason: String

  public var description: String { "cannot resolve \(host): \(reason)" }
}
