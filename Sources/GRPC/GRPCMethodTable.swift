/// The registered methods of a server, by `:path` (e.g. `/grpc.health.v1.Health/Check`).
/// Frozen when the server starts, then shared read-only by every loop.
final class GRPCMethodTable: Sendable {
  private let factories: [String: GRPCCallHandlerFactory]

  init(_ factories: [String: GRPCCallHandlerFactory]) {
    self.factories = factories
  }

  func factory(for path: String) -> GRPCCallHandlerFactory? {
    factories[path]
  }
}
