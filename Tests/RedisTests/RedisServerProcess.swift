import Foundation
import Glibc

/// A real `redis-server` (Debian's package) on a free loopback port, no persistence, own temp
/// dir; fails the test when the binary is missing (make test installs it).
final class RedisServerProcess {
  let port: Int
  let password: String?
  private var process: Process?
  private let directory: URL

  init(password: String? = nil, port: Int? = nil) throws {
    self.port = try port ?? Self.freePort()
    self.password = password
    directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "redis-test-\(getpid())-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try start()
  }

  deinit {
    stop()
    try? FileManager.default.removeItem(at: directory)
  }

  /// Starts the server and waits until it accepts connections.
  func start() throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
    var arguments = [
      "--port", String(port), "--bind", "127.0.0.1", "--dir", directory.path, "--save", "",
      "--appendonly", "no",
    ]
    if let password { arguments += ["--requirepass", password] }
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    self.process = process
    for _ in 0..<400 where !accepts() { usleep(25_000) }
    guard accepts() else { throw Failure(description: "redis-server did not start") }
  }

  /// SIGKILL, as a crash.
  func stop() {
    guard let process, process.isRunning else { return }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
  }

  func signal(_ signal: Int32) {
    if let process { kill(process.processIdentifier, signal) }
  }

  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  private func accepts() -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
      }
    }
  }

  private static func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
      }
    }
    guard bound else { throw Failure(description: "no free port") }
    return Int(UInt16(bigEndian: address.sin_port))
  }
}
