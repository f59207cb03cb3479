import ExtProc

/// The answer phase, last of the request phases: the ext_proc answer that sends a routed
/// request upstream, with the routing headers (and the observer's, e.g. `traceparent`), the
/// route cache cleared, and for "auto" the body's `model` rewritten. A translated request is
/// sent as a chat completion instead: body replaced and `:path` set to `/v1/chat/completions`.
enum AnswerPhase {
  /// The answer for `routed`, whose route is `route`; `body` is the request body as received.
  static func run(
    _ routed: RoutedRequest, route: RoutingDecision.Route, record: RoutingRecord,
    body: [UInt8], headers: RoutingHeaderNames, observer: (any RequestObserver)?
  ) -> CommonResponse {
    var response = CommonResponse(clearRouteCache: true)
    response.headerMutation.set(headers.model, route.model)
    response.headerMutation.set(headers.cluster, route.clusterName)
    for (name, value) in observer?.routed(record) ?? [] {
      response.headerMutation.set(name, value)
    }
    if routed.translated {
      response.headerMutation.set(":path", OpenAIRequest.Endpoint.chatCompletions.path)
      // The answer is rewritten on its way back, so it must come uncompressed.
      response.headerMutation.remove("accept-encoding")
      response.replaceBody(
        with: ChatCompletionsRequestTranslator.body(for: routed.request, model: route.model))
    } else if route.rewritesModel {
      response.replaceBody(with: routed.request.rewritingModel(in: body, to: route.model))
    }
    return response
  }
}
