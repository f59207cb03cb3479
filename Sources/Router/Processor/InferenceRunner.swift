/// How a stream gets the embedding model run off its loop: the process's inference pool, and
/// the calling loop's way to run a task on itself later (nil when not called on a loop).
public struct InferenceRunner: Sendable {
  /// Runs a task on one event loop's thread, later.
  public typealias Resume = @Sendable (@escaping @Sendable () -> Void) -> Void

  public let pool: InferencePool
  public let currentLoop: @Sendable () -> Resume?

  public init(pool: InferencePool, currentLoop: @escaping @Sendable () -> Resume?) {
    self.pool = pool
    self.currentLoop = currentLoop
  }
}
