import Foundation
import GRPC
import Logging
import Testing

/// Drives a real server with an independent client: Python grpcio (with its health stub) from the
/// project's venv.
@Suite struct GRPCServerInteropTests {
  static let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  static let python = packageRoot.appendingPathComponent(".venv/bin/python").path

  @Test(
    "grpcio: health Check/Watch, unknown method, echo, oversized message, deadline, shutdown",
    .enabled(if: FileManager.default.isExecutableFile(atPath: python), "needs .venv (make test)"))
  func grpcioClientAgainstServer() throws {
    var configuration = GRPCServer.Configuration(host: "127.0.0.1", port: 0, threads: 2)
    configuration.maxReceiveMessageSize = 4 << 20
    let server = GRPCServer(configuration: configuration, logger: Logger(label: "test"))
    server.register(path: "/test.Echo/Echo") { _ in EchoHandler() }
    server.register(path: "/test.Echo/Silent") { _ in SilentHandler() }
    server.register(path: "/test.Echo/Fail") { _ in
      FailHandler(status: GRPCStatus(.aborted, "bad % thing \u{2713}\nline"))
    }
    // Weak: the server holds its handler factories, so a strong capture would keep it alive.
    server.register(path: "/test.Control/Shutdown") { [weak server] _ in
      let call = server  // held only while this call's handler lives
      return ShutdownHandler { call?.beginGracefulShutdown(drainTimeout: .seconds(5)) }
    }
    try server.start()
    let port = try #require(server.localAddress?.port)

    let script = FileManager.default.temporaryDirectory
      .appendingPathComponent("grpc-interop-\(port).py")
    try Self.clientScript.write(to: script, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: script) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Self.python)
    process.arguments = [script.path, String(port)]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    if process.terminationStatus != 0 {
      server.beginGracefulShutdown(drainTimeout: .zero)
    }
    server.wait()
    #expect(process.terminationStatus == 0, "client output:\n\(text)")
    #expect(text.contains("ALL OK"), "client output:\n\(text)")
    #expect(server.health.status(forService: "") == .notServing)
  }

  static let clientScript = #"""
    import sys, threading, grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    port = sys.argv[1]
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    health = health_pb2_grpc.HealthStub(channel)
    SERVING = health_pb2.HealthCheckResponse.SERVING
    NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING

    def expect_code(call, code):
        try:
            call()
        except grpc.RpcError as error:
            assert error.code() == code, (error.code(), error.details())
            return error
        raise AssertionError(f"expected {code}")

    assert health.Check(health_pb2.HealthCheckRequest(service=""), timeout=5).status == SERVING
    expect_code(lambda: health.Check(health_pb2.HealthCheckRequest(service="nope"), timeout=5),
                grpc.StatusCode.NOT_FOUND)
    unknown = channel.unary_unary("/no.Such/Method")
    expect_code(lambda: unknown(b"", timeout=5), grpc.StatusCode.UNIMPLEMENTED)

    echo = channel.unary_unary("/test.Echo/Echo")
    assert echo(b"hello", timeout=5) == b"hello"
    assert echo(b"", timeout=5) == b""
    body = bytes(range(256)) * 4096  # 1 MiB
    assert echo(body, timeout=10) == body
    expect_code(lambda: echo(b"x" * (5 << 20), timeout=10), grpc.StatusCode.RESOURCE_EXHAUSTED)
    assert echo(b"still serving", timeout=5) == b"still serving"

    stream = channel.stream_stream("/test.Echo/Echo")
    assert list(stream(iter([b"a", b"bb", b"ccc"]), timeout=5)) == [b"a", b"bb", b"ccc"]

    # 200 concurrent calls on one connection.
    futures = [echo.future(str(i).encode(), timeout=10) for i in range(200)]
    assert [f.result() for f in futures] == [str(i).encode() for i in range(200)]

    silent = channel.unary_unary("/test.Echo/Silent")
    expect_code(lambda: silent(b"", timeout=0.3), grpc.StatusCode.DEADLINE_EXCEEDED)
    fail = channel.unary_unary("/test.Echo/Fail")
    error = expect_code(lambda: fail(b"", timeout=5), grpc.StatusCode.ABORTED)
    assert error.details() == "bad % thing \u2713\nline", repr(error.details())

    watch = health.Watch(health_pb2.HealthCheckRequest(service=""), timeout=10)
    assert next(watch).status == SERVING
    unknown_watch = health.Watch(health_pb2.HealthCheckRequest(service="nope"), timeout=10)
    assert next(unknown_watch).status == health_pb2.HealthCheckResponse.SERVICE_UNKNOWN
    unknown_watch.cancel()

    channel.unary_unary("/test.Control/Shutdown")(b"", timeout=5)
    assert next(watch).status == NOT_SERVING
    expect_code(lambda: next(watch), grpc.StatusCode.UNAVAILABLE)
    print("ALL OK")
    """#
}

/// Echoes every message back; finishes OK when the client half-closes.
final class EchoHandler: GRPCCallHandler {
  func received(message: [UInt8], on call: any GRPCServerCall) { call.send(message) }
  func receivedEnd(on call: any GRPCServerCall) { call.finish(.ok) }
  func callEnded(_ reason: GRPCCallEndReason) {}
}

/// Never answers (for deadlines and cancellation); `onMessage` tells a test the call arrived.
final class SilentHandler: GRPCCallHandler {
  let onMessage: (@Sendable () -> Void)?
  init(onMessage: (@Sendable () -> Void)? = nil) { self.onMessage = onMessage }
  func received(message: [UInt8], on call: any GRPCServerCall) { onMessage?() }
  func receivedEnd(on call: any GRPCServerCall) {}
  func callEnded(_ reason: GRPCCallEndReason) {}
}

/// Finishes every call with a fixed status.
final class FailHandler: GRPCCallHandler {
  let status: GRPCStatus
  init(status: GRPCStatus) { self.status = status }
  func received(message: [UInt8], on call: any GRPCServerCall) {}
  func receivedEnd(on call: any GRPCServerCall) { call.finish(status) }
  func callEnded(_ reason: GRPCCallEndReason) {}
}

/// Answers an empty message, then runs an action (e.g. starts the server's shutdown).
final class ShutdownHandler: GRPCCallHandler {
  let action: @Sendable () -> Void
  init(action: @escaping @Sendable () -> Void) { self.action = action }
  func received(message: [UInt8], on call: any GRPCServerCall) {}
  func receivedEnd(on call: any GRPCServerCall) {
    call.send([])
    call.finish(.ok)
    action()
  }
  func callEnded(_ reason: GRPCCallEndReason) {}
}
