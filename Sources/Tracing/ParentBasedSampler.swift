/// Follows the parent's `sampled` flag, and asks `root` only for spans without a parent.
///
/// OpenTelemetry SDK `ParentBased`: by default a sampled parent (remote or local) is sampled
/// and an unsampled parent is dropped.
public struct ParentBasedSampler: Sampler {
  public let root: any Sampler
  public let remoteParentSampled: any Sampler
  public let remoteParentNotSampled: any Sampler
  public let localParentSampled: any Sampler
  public let localParentNotSampled: any Sampler

  public init(
    root: any Sampler,
    remoteParentSampled: any Sampler = AlwaysOnSampler(),
    remoteParentNotSampled: any Sampler = AlwaysOffSampler(),
    localParentSampled: any Sampler = AlwaysOnSampler(),
    localParentNotSampled: any Sampler = AlwaysOffSampler()
  ) {
    self.root = root
    self.remoteParentSampled = remoteParentSampled
    self.remoteParentNotSampled = remoteParentNotSampled
    self.localParentSampled = localParentSampled
    self.localParentNotSampled = localParentNotSampled
  }

  public func shouldSample(
    parent: SpanContext?, traceID: TraceID, name: String, kind: SpanKind
  ) -> SamplingDecision {
    guard let parent, parent.isValid else {
      return root.shouldSample(parent: parent, traceID: traceID, name: name, kind: kind)
    }
    let delegate: any Sampler =
      switch (parent.isRemote, parent.isSampled) {
      case (true, true): remoteParentSampled
      case (true, false): remoteParentNotSampled
      case (false, true): localParentSampled
      case (false, false): localParentNotSampled
      }
    return delegate.shouldSample(parent: parent, traceID: traceID, name: name, kind: kind)
  }

  public var samplerDescription: String { "ParentBased{root:\(root.samplerDescription)}" }
}
