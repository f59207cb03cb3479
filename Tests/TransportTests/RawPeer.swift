import Glibc

/// The test's side of a socket (a socketpair or TCP), made blocking: writes frames, reads them
/// back. Reads give up after 10 s (a guard against hanging, never a measurement).
struct RawPeer {
  struct Frame {
    var type: UInt8
    var flags: UInt8
    var stream: UInt32
    var payload: [UInt8]
  }

  /// The client connection preface's fixed bytes (RFC 9113 section 3.4).
  static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

  let fd: Int32

  init(fd: Int32) {
    self.fd = fd
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
  }

  func send(_ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
      let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
      guard written > 0 else { return }
      offset += written
    }
  }

  /// Sends the client preface and an empty SETTINGS frame: what every well-behaved peer does
  /// first.
  func startConnection() {
    send(Self.preface)
    sendFrame(type: 0x4, flags: 0, stream: 0, payload: [])
  }

  func sendFrame(type: UInt8, flags: UInt8, stream: UInt32, payload: [UInt8]) {
    let length = UInt32(payload.count)
    var header: [UInt8] = [UInt8(length >> 16), UInt8((length >> 8) & 0xff), UInt8(length & 0xff)]
    header += [type, flags]
    header += [24, 16, 8, 0].map { UInt8((stream >> $0) & 0xff) }
    send(header + payload)
  }

  /// The next frame, or nil at end of stream, on error or after the guard timeout.
  func readFrame() -> Frame? {
    guard let header = read(count: 9) else { return nil }
    let length = Int(Self.integer(header[0..<3]))
    guard let payload = read(count: length) else { return nil }
    return Frame(
      type: header[3], flags: header[4], stream: Self.integer(header[5..<9]) & 0x7fff_ffff,
      payload: payload)
  }

  private func read(count: Int) -> [UInt8]? {
    var bytes = [UInt8](repeating: 0, count: count)
    var offset = 0
    while offset < count {
      let received = bytes.withUnsafeMutableBytes {
        Glibc.read(fd, $0.baseAddress! + offset, count - offset)
      }
      guard received > 0 else { return nil }
      offset += received
    }
    return bytes
  }

  /// A big-endian unsigned integer of up to four bytes.
  static func integer(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    bytes.reduce(0) { $0 << 8 | UInt32($1) }
  }

  /// A request's header block: `:method POST`, `:scheme http`, `:path` and `:authority test`,
  /// none indexed.
  static func requestFields(path: String) -> [UInt8] {
    [0x83, 0x86, 0x04, UInt8(path.utf8.count)] + Array(path.utf8)
      + [0x01, 4] + Array("test".utf8)
  }
}
