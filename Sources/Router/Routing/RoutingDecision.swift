/// Where a request goes, decided from its `model` and its category.
public enum RoutingDecision: Sendable, Equatable {
  /// Send it to `Route.endpoint` (via the route's Envoy cluster).
  case route(Route)
  /// The model is not configured and `unknown_model: pass_through` is set: change nothing and
  /// let Envoy's default route handle it.
  case passThrough(model: String)
  /// The model is not configured: answer 404 `model_not_found`.
  case modelNotFound(model: String)

  /// Why a model was chosen (span attribute `routing.reason`).
  public enum Reason: String, Sendable, Equatable {
    /// "auto": the first model serving the query's category.
    case categoryModel = "category_model"
    /// "auto": no model serves the category, so the default model.
    case defaultModel = "default_model"
    /// The request named a configured model.
    case explicitModel = "explicit_model"
    /// The request named an unknown model and pass-through is configured.
    case unknownModelPassThrough = "unknown_model_pass_through"
    /// The request named an unknown model and was rejected.
    case unknownModelRejected = "unknown_model_rejected"
  }

  /// A chosen model and endpoint.
  public struct Route: Sendable, Equatable {
    /// The model the request asked for (`auto` or a model name).
    public var requestedModel: String
    /// The model chosen.
    public var model: String
    /// The endpoint chosen among the model's endpoints.
    public var endpoint: EndpointConfiguration
    public var reason: Reason

    public init(
      requestedModel: String, model: String, endpoint: EndpointConfiguration, reason: Reason
    ) {
      self.requestedModel = requestedModel
      self.model = model
      self.endpoint = endpoint
      self.reason = reason
    }

    /// The Envoy cluster to put in the cluster routing header.
    public var clusterName: String { endpoint.clusterName }
    /// True when the body's `model` must be rewritten (the client asked for "auto").
    public var rewritesModel: Bool { requestedModel != model }
  }

  public var reason: Reason {
    switch self {
    case .route(let route): return route.reason
    case .passThrough: return .unknownModelPassThrough
    case .modelNotFound: return .unknownModelRejected
    }
  }
}
