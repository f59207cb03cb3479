/// One loaded configuration, ready to route: the router built from it and its identity. A stream
/// takes the current snapshot when it starts and keeps it to its end.
public struct RouterSnapshot: Sendable {
  public let router: SemanticRouter
  public let identity: ConfigurationIdentity

  public init(router: SemanticRouter, identity: ConfigurationIdentity) {
    self.router = router
    self.identity = identity
  }
}
