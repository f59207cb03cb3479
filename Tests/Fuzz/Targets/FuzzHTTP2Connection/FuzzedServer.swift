import ExtProc
import GRPC
import Glibc
import Logging
import Metrics
import Router

/// The ext_proc server as `serve` builds it, over a small router config, on one event loop; and
/// a client that sends one connection's bytes and reads until the server closes.
final class FuzzedServer: Sendable {
  /// Started on first use, for the whole run.
  static let shared = FuzzedServer()

  private let server: GRPCServer
  private let port: UInt16

  private static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

  private static let configuration = """
    models:
      - name: math-model
        category: [math]
        endpoints: [{ name: m1, address: "http://127.0.0.1:8101" }]
      - name: chat-model
        category: [general]
        endpoints: [{ name: c1, address: "http://127.0.0.1:8103" }]
    default_model: chat-model
    categories:
      - name: math
        examples: ["solve the equation", "derivative of x squared", "integral of sin x"]
      - name: general
        examples: ["tell me a joke", "write a poem about the sea", "plan a trip to Rome"]
    max_body_bytes: 4096
    semantic_cache: { enabled: true, similarity_threshold: 0.95, max_entries: 64 }
    """

  init() {
    let logger = Logger(label: "fuzz") { _ in SwiftLogNoOpLogHandler() }
    let router = SemanticRouter(
      configuration: try! RouterConfiguration.parse(yaml: Self.configuration))
    let registry = MetricsRegistry()
    var configuration = GRPCServer.Configuration(host: "127.0.0.1", port: 0, threads: 1)
    configuration.maxConcurrentStreams = 100
    server = GRPCServer(configuration: configuration, logger: logger)
    server.register(
      path: ExtProcService.methodPath,
      factory: ExtProcService.handlerFactory(
        processorFactory: SemanticRouterProcessor.factory(router: router, logger: logger),
        logger: logger, metrics: ExtProcMetrics(registry: registry)))
    try! server.start()
    port = UInt16(server.localAddress!.port)
  }

  /// Connects, sends the preface and `bytes`, half-closes, and reads until the server closes
  /// (it does on the end of its input), so the whole exchange is over when this returns.
  func exchange(_ bytes: UnsafeRawBufferPointer) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    precondition(fd >= 0, "socket: \(errno)")
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    if connected != 0 {
      precondition(errno == EINTR, "connect: \(errno)")
      awaitConnection(fd)
    }
    let sent = Self.preface.withUnsafeBytes { send(all: $0, to: fd) } && send(all: bytes, to: fd)
    if sent { shutdown(fd, Int32(SHUT_WR)) }
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if count == 0 || (count < 0 && errno != EINTR) { break }
    }
  }

  /// Waits for a connect that a signal interrupted (libFuzzer's SIGALRM): it goes on in the
  /// background, and the socket turns writable once it is made (connect(2), EINTR).
  private func awaitConnection(_ fd: Int32) {
    var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
    while poll(&poller, 1, -1) < 0 { precondition(errno == EINTR, "poll: \(errno)") }
    var error: Int32 = 0
    var length = socklen_t(MemoryLayout<Int32>.size)
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
    precondition(error == 0, "connect: \(error)")
  }

  /// Writes every byte unless the server has closed (a protocol error ends the connection).
  private func send(all bytes: UnsafeRawBufferPointer, to fd: Int32) -> Bool {
    var offset = 0
    while offset < bytes.count {
      let written = Glibc.send(fd, bytes.baseAddress! + offset, bytes.count - offset, 0)
      if written >= 0 {
        offset += written
      } else if errno != EINTR {
        return false
      }
    }
    return true
  }
}
