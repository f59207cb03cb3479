import ExtProc
import Logging

extension SemanticRouterProcessor {
  /// A factory for a router whose config reloads: each stream takes the snapshot in force when
  /// it starts and routes with it to its end, whatever reloads happen meanwhile. `makeObserver`
  /// gets the snapshot's identity, for the spans. `sharedCache` finds the loop's shared cache
  /// for snapshots whose `semantic_cache.backend` is `redis`; `inference` runs the embedding
  /// model off the loops.
  public static func factory(
    snapshots: RouterSnapshotHolder, logger: Logger, sharedCache: SharedCacheProvider? = nil,
    inference: InferenceRunner? = nil,
    makeObserver: @escaping @Sendable (ProcessorContext, ConfigurationIdentity) -> (
      any RequestObserver
    )?
  ) -> ProcessorFactory {
    { context in
      let snapshot = snapshots.current
      return SemanticRouterProcessor(
        router: snapshot.router, observer: makeObserver(context, snapshot.identity),
        logger: logger, sharedCache: sharedCache, inference: inference)
    }
  }
}
