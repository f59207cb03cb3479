import Foundation

/// The routing brain, without any I/O: classifies queries, picks model and endpoint, and owns
/// the semantic cache. Built once from a validated configuration and shared by every stream and
/// thread.
public final class SemanticRouter: Sendable {
  public let configuration: RouterConfiguration
  public let classifier: Classifier
  /// The in-process semantic cache, when `semantic_cache.enabled` with the `memory` backend.
  public let cache: SemanticCache?
  /// When this router was built (Unix seconds): `created` of the models `/v1/models` lists.
  public let createdAt: Int
  /// The request guards, when `guards` is configured.
  public let guards: RequestGuards?
  private let balancers: [String: SmoothWeightedRoundRobin]
  private let autoNames: Set<String>
  /// For each category, the first model listing it.
  private let modelForCategory: [String: String]

  /// Trains the classifier and sets up balancers and cache; `clock` drives cache expiry (tests
  /// inject one). A reload passes the router it replaces as `previous`: its cache, entries and
  /// all, carries over when the `semantic_cache` settings did not change.
  public init(
    configuration: RouterConfiguration, reusingCacheOf previous: SemanticRouter? = nil,
    clock: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
  ) {
    self.configuration = configuration
    self.classifier = Classifier(configuration: configuration)
    self.createdAt = Int(Date().timeIntervalSince1970)
    if let previous, previous.configuration.semanticCache == configuration.semanticCache {
      self.cache = previous.cache
    } else {
      self.cache =
        configuration.semanticCache.enabled && configuration.semanticCache.backend == .memory
        ? SemanticCache(settings: configuration.semanticCache, clock: clock) : nil
    }
    self.guards = configuration.guards.map { RequestGuards(settings: $0) }
    var balancers: [String: SmoothWeightedRoundRobin] = [:]
    var modelForCategory: [String: String] = [:]
    for model in configuration.models {
      balancers[model.name] = SmoothWeightedRoundRobin(weights: model.endpoints.map(\.weight))
      for category in model.categories where modelForCategory[category] == nil {
        modelForCategory[category] = model.name
      }
    }
    self.balancers = balancers
    self.modelForCategory = modelForCategory
    self.autoNames = Set(configuration.autoModelNames)
  }

  /// Whether `model` asks the router to choose (`auto` by default).
  public func isAutoModel(_ model: String) -> Bool {
    autoNames.contains(model)
  }

  /// Classifies a parsed request: its last user message, with the system prompt as context.
  /// The query vector is built only when the cache is on.
  public func classify(_ request: OpenAIRequest) -> Classification {
    let query = request.query
    return classifier.classify(query.text, context: query.context, wantsVector: configuration.semanticCache.enabled)
  }

  /// The semantic-cache key of a request routed to `model`: the model, the API for every API
  /// but chat completions (`model@responses`: answers are stored in their client's shape),
  /// plus digests of the system prompt and of the part of a long query the classifier does not
  /// read, so a cached answer is only served under the same instructions and for the same
  /// unread text (what the classifier reads is matched by similarity).
  public func cacheKey(model: String, request: OpenAIRequest) -> String {
    let query = request.query
    var key = model
    if request.endpoint != .chatCompletions { key += "@" + request.endpoint.rawValue }
    if let context = query.context, !context.isEmpty {
      // A stable digest (not `Hasher`, seeded per process): replicas sharing a cache agree.
      key += "#" + String(FeatureExtractor.fnv1a(Array(context.utf8)), radix: 16)
    }
    if let unread = classifier.unreadDigest(of: query.text) {
      key += "|" + String(UInt(bitPattern: unread), radix: 16)
    }
    return key
  }

  /// The model for a category: the first model serving it, else the default model.
  public func model(forCategory category: String) -> (model: String, reason: RoutingDecision.Reason)
  {
    if let model = modelForCategory[category] { return (model, .categoryModel) }
    return (configuration.defaultModel, .defaultModel)
  }

  /// Decides where a request for `requestedModel` in `category` goes; for a routed request this
  /// also advances the model's weighted round robin.
  public func decide(requestedModel: String, category: String) -> RoutingDecision {
    let model: String
    let reason: RoutingDecision.Reason
    if isAutoModel(requestedModel) {
      (model, reason) = self.model(forCategory: category)
    } else if balancers[requestedModel] != nil {
      (model, reason) = (requestedModel, .explicitModel)
    } else {
      switch configuration.unknownModel {
      case .reject: return .modelNotFound(model: requestedModel)
      case .passThrough: return .passThrough(model: requestedModel)
      }
    }
    guard let balancer = balancers[model],
      let modelConfiguration = configuration.model(named: model)
    else {
      preconditionFailure("validated configuration has no model '\(model)'")
    }
    let endpoint = modelConfiguration.endpoints[balancer.next()]
    return .route(
      RoutingDecision.Route(
        requestedModel: requestedModel, model: model, endpoint: endpoint, reason: reason))
  }
}
