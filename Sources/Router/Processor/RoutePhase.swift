/// The route phase: the model and endpoint for a classified request (advancing the model's
/// weighted round robin), whether the endpoint needs the request translated to chat
/// completions, and the routing facts tracing and metrics record.
enum RoutePhase {
  /// Decides where `routed` goes and notes the chosen route in it.
  static func run(
    _ routed: inout RoutedRequest, router: SemanticRouter, observer: (any RequestObserver)?
  ) -> (decision: RoutingDecision, record: RoutingRecord) {
    observer?.routingStarted()
    let decision = router.decide(
      requestedModel: routed.request.model, category: routed.classification.category)
    if case .route(let route) = decision {
      routed.route = route
      routed.translated = !route.endpoint.serves(routed.request.endpoint)
    }
    return (decision, record(routed, decision))
  }

  /// The routing facts of a decided request.
  static func record(_ routed: RoutedRequest, _ decision: RoutingDecision) -> RoutingRecord {
    let classification = routed.classification
    return RoutingRecord(
      category: classification.category, confidence: classification.confidence,
      classifierType: classification.method.rawValue, originalModel: routed.request.model,
      selectedModel: routed.route?.model, reason: decision.reason.rawValue,
      endpointName: routed.route?.endpoint.name, endpointAddress: routed.route?.endpoint.address,
      stream: routed.request.stream, api: routed.request.endpoint.rawValue,
      translated: routed.translated)
  }
}
