import Testing

@testable import Tracing

@Suite("samplers")
struct SamplerTests {
  static let remoteSampled = SpanContext(
    traceID: TraceID(high: 1, low: 1), spanID: SpanID(1), traceFlags: .sampled, isRemote: true)
  static let remoteUnsampled = SpanContext(
    traceID: TraceID(high: 1, low: 1), spanID: SpanID(1), traceFlags: [], isRemote: true)

  @Test(arguments: [0.0, 0.01, 0.1, 0.25, 0.5, 0.9, 1.0])
  func traceIDRatio_samplesTheRatioWithinTolerance(ratio: Double) {
    let sampler = TraceIDRatioSampler(ratio: ratio)
    let ids = RandomIDGenerator()
    let n = 100_000
    var sampled = 0
    for _ in 0..<n where sampler.shouldSample(
      parent: nil, traceID: ids.traceID(), name: "s", kind: .server) == .recordAndSample
    {
      sampled += 1
    }
    // 5 standard deviations of a binomial(n, ratio): fails by chance about once in 3.5 million.
    let sigma = (Double(n) * ratio * (1 - ratio)).squareRoot()
    #expect(abs(Double(sampled) - Double(n) * ratio) <= 5 * sigma + 0.5)
  }

  @Test func traceIDRatio_decidesOnBytes8To15ShiftedRight() {
    let half = TraceIDRatioSampler(ratio: 0.5)
    // low >> 1 = 2^62 - 1 < 2^62: sampled; 2^62: not. The high half is ignored.
    #expect(
      half.shouldSample(
        parent: nil, traceID: TraceID(high: .max, low: (1 << 63) - 1), name: "", kind: .internal)
        == .recordAndSample)
    #expect(
      half.shouldSample(parent: nil, traceID: TraceID(high: 0, low: 1 << 63), name: "", kind: .internal)
        == .drop)
    #expect(
      TraceIDRatioSampler(ratio: 1).shouldSample(
        parent: nil, traceID: TraceID(high: 0, low: .max), name: "", kind: .internal)
        == .recordAndSample)
    #expect(
      TraceIDRatioSampler(ratio: 0).shouldSample(
        parent: nil, traceID: TraceID(high: 0, low: 1), name: "", kind: .internal) == .drop)
  }

  @Test func parentBased_followsTheParentAndAsksRootOnlyForRoots() {
    let sampler = ParentBasedSampler(root: AlwaysOffSampler())
    let id = TraceID(high: 1, low: 1)
    #expect(sampler.shouldSample(parent: Self.remoteSampled, traceID: id, name: "", kind: .server) == .recordAndSample)
    #expect(sampler.shouldSample(parent: Self.remoteUnsampled, traceID: id, name: "", kind: .server) == .drop)
    var local = Self.remoteSampled
    local.isRemote = false
    #expect(sampler.shouldSample(parent: local, traceID: id, name: "", kind: .server) == .recordAndSample)
    local.traceFlags = []
    #expect(sampler.shouldSample(parent: local, traceID: id, name: "", kind: .server) == .drop)
    #expect(sampler.shouldSample(parent: nil, traceID: id, name: "", kind: .server) == .drop)
    let onRoot = ParentBasedSampler(root: AlwaysOnSampler())
    #expect(onRoot.shouldSample(parent: nil, traceID: id, name: "", kind: .server) == .recordAndSample)
    #expect(onRoot.shouldSample(parent: Self.remoteUnsampled, traceID: id, name: "", kind: .server) == .drop)
  }

  @Test func configuration_parentBasedFalse_ignoresTheParent() {
    let sampler = TracingConfiguration.Sampling(type: .alwaysOn, parentBased: false).makeSampler()
    #expect(
      sampler.shouldSample(
        parent: Self.remoteUnsampled, traceID: TraceID(high: 1, low: 1), name: "", kind: .server)
        == .recordAndSample)
    let defaultSampler = TracingConfiguration().sampling.makeSampler()
    #expect(defaultSampler.samplerDescription == "ParentBased{root:AlwaysOnSampler}")
  }

  @Test(
    arguments: [
      ("always_on", "", "AlwaysOnSampler"),
      ("always_off", "", "AlwaysOffSampler"),
      ("traceidratio", "0.25", "TraceIdRatioBased{0.25}"),
      ("traceidratio", "bogus", "TraceIdRatioBased{1.0}"),
      ("parentbased_always_on", "", "ParentBased{root:AlwaysOnSampler}"),
      ("parentbased_always_off", "", "ParentBased{root:AlwaysOffSampler}"),
      ("parentbased_traceidratio", "0.1", "ParentBased{root:TraceIdRatioBased{0.1}}"),
      ("unknown", "", "ParentBased{root:AlwaysOnSampler}"),
    ])
  func environment_OTEL_TRACES_SAMPLER_choosesTheSampler(name: String, arg: String, expected: String) {
    let configuration = TracingConfiguration().applyingEnvironment([
      "OTEL_TRACES_SAMPLER": name, "OTEL_TRACES_SAMPLER_ARG": arg,
    ])
    #expect(configuration.sampling.makeSampler().samplerDescription == expected)
  }
}
