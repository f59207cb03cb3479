import ExtProc
import Tracing

/// Tracing for the router: makes one `TracingRequestObserver` per ext_proc stream.
///
/// Pass `makeObserver` to `SemanticRouterProcessor.factory`. A disabled tracer makes no
/// observers, so requests then pass Envoy's (or the client's) trace context on untouched.
public final class RouterTracing: Sendable {
  /// `gen_ai.provider.name` used unless told otherwise: the backends are vLLM servers (the
  /// OpenTelemetry GenAI conventions list no value for vLLM; this names it plainly).
  public static let defaultProviderName = "vllm"

  public let tracer: Tracer
  /// `gen_ai.provider.name` on every request.
  public let providerName: String

  public init(tracer: Tracer, providerName: String = RouterTracing.defaultProviderName) {
    self.tracer = tracer
    self.providerName = providerName
  }

  /// Tracing through `pipeline`'s tracer.
  public convenience init(
    pipeline: TracingPipeline, providerName: String = RouterTracing.defaultProviderName
  ) {
    self.init(tracer: pipeline.tracer, providerName: providerName)
  }

  /// The observer for a new ext_proc stream (nil when tracing is disabled), whose root span
  /// names `configuration`. Cheap: requests the router does not route never start a span.
  public func makeObserver(
    _ context: ProcessorContext, configuration: ConfigurationIdentity? = nil
  ) -> (any RequestObserver)? {
    guard tracer.isEnabled else { return nil }
    return TracingRequestObserver(
      tracer: tracer, streamMetadata: context.metadata, providerName: providerName,
      configuration: configuration)
  }
}
