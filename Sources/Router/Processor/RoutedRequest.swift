/// One routed request as the request phases leave it: the parsed body and what classification,
/// routing and the cache lookup found. The response side reads it for its headers and for
/// storing the answer in the cache.
struct RoutedRequest {
  /// The parsed request body.
  var request: OpenAIRequest
  /// The classify phase's result.
  var classification: Classification
  /// The route phase's chosen model and endpoint; nil when the request was passed through or
  /// rejected as naming an unknown model.
  var route: RoutingDecision.Route?
  /// The semantic-cache key the cache phase looked up; nil when the cache is off or the request
  /// was not routed.
  var cacheKey: String?
  /// The chosen backend does not serve the request's API: the request goes to it as a chat
  /// completion and the answer comes back translated.
  var translated = false

  /// The API the backend answers in: the request's own, or chat completions when translated.
  var backendAPI: OpenAIRequest.Endpoint { translated ? .chatCompletions : request.endpoint }

  init(request: OpenAIRequest, classification: Classification) {
    self.request = request
    self.classification = classification
  }
}
