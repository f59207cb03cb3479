internal import CGeneratedProtos

/// `grpc.health.v1.Health`: `Check` (unary) and `Watch` (server streaming) over a
/// `GRPCHealthStatusRegistry`. See grpc/doc/health-checking.md.
public struct GRPCHealthService: GRPCService {
  public static let checkPath = "/grpc.health.v1.Health/Check"
  public static let watchPath = "/grpc.health.v1.Health/Watch"

  private let registry: GRPCHealthStatusRegistry

  public init(registry: GRPCHealthStatusRegistry) {
    self.registry = registry
  }

  public var methods: [String: GRPCCallHandlerFactory] {
    let registry = self.registry
    return [
      Self.checkPath: { _ in GRPCHealthCheckHandler(registry: registry) },
      Self.watchPath: { _ in GRPCHealthWatchHandler(registry: registry) },
    ]
  }

  /// The `service` field of a HealthCheckRequest, or nil when the bytes do not parse.
  static func decodeRequest(_ message: [UInt8]) -> String? {
    message.withUnsafeBufferPointer { bytes in
      guard
        let request = grpc__health__v1__health_check_request__unpack(
          nil, bytes.count, bytes.baseAddress)
      else { return nil }
      defer { grpc__health__v1__health_check_request__free_unpacked(request, nil) }
      guard let service = request.pointee.service else { return "" }
      return String(cString: service)
    }
  }

  /// An encoded HealthCheckResponse.
  static func encodeResponse(_ status: GRPCHealthStatusRegistry.ServingStatus) -> [UInt8] {
    var response = Grpc__Health__V1__HealthCheckResponse()
    grpc__health__v1__health_check_response__init(&response)
    response.status = Grpc__Health__V1__HealthCheckResponse__ServingStatus(
      rawValue: UInt32(status.rawValue))
    let size = grpc__health__v1__health_check_response__get_packed_size(&response)
    return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
      count = grpc__health__v1__health_check_response__pack(&response, buffer.baseAddress)
    }
  }
}

/// Answers one `Check`: the status of the named service, NOT_FOUND for an unknown name.
final class GRPCHealthCheckHandler: GRPCCallHandler {
  private let registry: GRPCHealthStatusRegistry
  private var answered = false

  init(registry: GRPCHealthStatusRegistry) {
    self.registry = registry
  }

  func received(message: [UInt8], on call: any GRPCServerCall) {
    guard !answered else { return }
    answered = true
    guard let service = GRPCHealthService.decodeRequest(message) else {
      call.finish(GRPCStatus(.invalidArgument, "cannot parse HealthCheckRequest"))
      return
    }
    guard let status = registry.status(forService: service) else {
      call.finish(GRPCStatus(.notFound, "unknown service: \(service)"))
      return
    }
    call.send(GRPCHealthService.encodeResponse(status))
    call.finish(.ok)
  }

  func receivedEnd(on call: any GRPCServerCall) {
    if !answered { call.finish(GRPCStatus(.internal, "request ended without a message")) }
  }

  func callEnded(_ reason: GRPCCallEndReason) {}
}

/// Serves one `Watch`: the current status, then every change, until the client goes away or
/// the server shuts down (NOT_SERVING, then the call ends with UNAVAILABLE).
final class GRPCHealthWatchHandler: GRPCCallHandler, @unchecked Sendable {
  // @unchecked Sendable: registry callbacks only hop onto the call's loop via `execute`; every
  // stored property is touched on that loop only.
  private let registry: GRPCHealthStatusRegistry
  private var call: (any GRPCServerCall)?
  private var watcherID: UInt64?
  private var lastSent: GRPCHealthStatusRegistry.ServingStatus?

  init(registry: GRPCHealthStatusRegistry) {
    self.registry = registry
  }

  func received(message: [UInt8], on call: any GRPCServerCall) {
    guard watcherID == nil, self.call == nil else { return }
    guard let service = GRPCHealthService.decodeRequest(message) else {
      call.finish(GRPCStatus(.invalidArgument, "cannot parse HealthCheckRequest"))
      return
    }
    self.call = call
    let loopCall = UncheckedCall(call)
    let watch = registry.watch(service: service) { [self] status, final in
      loopCall.call.execute { self.update(status, final: final) }
    }
    watcherID = watch.id
    update(watch.status, final: watch.final)
  }

  func receivedEnd(on call: any GRPCServerCall) {}

  func callEnded(_ reason: GRPCCallEndReason) {
    stop()
  }

  private func update(_ status: GRPCHealthStatusRegistry.ServingStatus, final: Bool) {
    guard let call else { return }
    if status != lastSent {
      lastSent = status
      call.send(GRPCHealthService.encodeResponse(status))
    }
    if final {
      stop()
      call.finish(GRPCStatus(.unavailable, "server is shutting down"))
    }
  }

  private func stop() {
    if let watcherID { registry.unwatch(watcherID) }
    watcherID = nil
    call = nil
  }
}

/// Carries a call into a registry callback that only uses it to `execute` (which is safe from
/// any thread).
private struct UncheckedCall: @unchecked Sendable {
  // @unchecked Sendable: only `execute` is called through it, and that is thread-safe.
  let call: any GRPCServerCall

  init(_ call: any GRPCServerCall) {
    self.call = call
  }
}
