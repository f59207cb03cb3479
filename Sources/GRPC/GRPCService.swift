/// A set of gRPC methods registered together, keyed by `:path` (`/package.Service/Method`).
public protocol GRPCService: Sendable {
  var methods: [String: GRPCCallHandlerFactory] { get }
}
