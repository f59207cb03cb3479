public import GRPC
public import Logging

/// The Envoy external processing service: `envoy.service.ext_proc.v3.ExternalProcessor/Process`,
/// a bidirectional stream per HTTP exchange.
///
/// Register `handlerFactory(processorFactory:logger:)` under `methodPath` with the gRPC server.
public enum ExtProcService {
  /// The gRPC method path Envoy's ext_proc filter calls.
  public static let methodPath = "/envoy.service.ext_proc.v3.ExternalProcessor/Process"

  /// Makes a call handler per stream, each with a new processor from `processorFactory`.
  public static func handlerFactory(
    processorFactory: @escaping ProcessorFactory,
    logger: Logger = Logger(label: "semantic-router.ext-proc"),
    metrics: ExtProcMetrics? = nil
  ) -> GRPCCallHandlerFactory {
    { call in
      let context = ProcessorContext(
        metadata: HTTPHeaders(call.requestMetadata.lazy.map { ($0.name, $0.value) }),
        peerAddress: call.peerAddress)
      return ExtProcCallHandler(
        processor: processorFactory(context), logger: logger, metrics: metrics)
    }
  }
}
