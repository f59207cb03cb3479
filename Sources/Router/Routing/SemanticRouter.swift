import Foundation

/// The routing brain, without any I/O: classifies queries, picks model and endpoint, and owns
/// the semantic cache. Built once from a validated configuration and shared by every stream and
/// thread.
public final class SemanticRouter: Sendable {
  public let configuration: RouterConfiguration
  /// The lexical classifier (keyword rules, then logistic regression): the whole classifier
  /// with `classifier.type: lexical`, the cascade's first tier with `embedding`.
  public let classifier: Classifier
  /// The embedding model's classifier with `classifier.type: embedding`, when it loaded.
  public let embeddingClassifier: EmbeddingClassifier?
  /// Why the model did not load (`classifier.type: embedding` only).
  public let embeddingLoadError: String?
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
    (self.embeddingClassifier, self.embeddingLoadError) = Self.embeddingClassifier(
      configuration, previous: previous)
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

  /// The embedding classifier `configuration` asks for (nil with `type: lexical`), or why it
  /// did not load. A reload whose model and examples are unchanged keeps the running one.
  private static func embeddingClassifier(
    _ configuration: RouterConfiguration, previous: SemanticRouter?
  ) -> (EmbeddingClassifier?, String?) {
    let settings = configuration.classifier
    guard settings.kind == .embedding else { return (nil, nil) }
    if let previous, let running = previous.embeddingClassifier,
      previous.configuration.classifier.modelPath == settings.modelPath,
      previous.configuration.classifier.precision == settings.precision,
      previous.configuration.classifier.examplesCachePath == settings.examplesCachePath,
      previous.configuration.classifier.vectorCacheEntries == settings.vectorCacheEntries,
      previous.configuration.categories.map(\.examples) == configuration.categories.map(\.examples),
      previous.configuration.categories.map(\.name) == configuration.categories.map(\.name)
    {
      return (running, nil)
    }
    do {
      return (try EmbeddingClassifier(settings: settings, categories: configuration.categories), nil)
    } catch {
      return (nil, "\(error)")
    }
  }

  /// Whether `model` asks the router to choose (`auto` by default).
  public func isAutoModel(_ model: String) -> Bool {
    autoNames.contains(model)
  }

  /// Classifies a parsed request: its last user message, with the system prompt as context.
  /// The query vector is built only when the cache is on. With `classifier.type: embedding` a
  /// query that needs the model runs it here, on the calling thread (the `classify` command,
  /// tests); the ext_proc path runs it on the inference pool through `startClassification`.
  public func classify(_ request: OpenAIRequest) -> Classification {
    switch startClassification(request) {
    case .decided(let classification):
      return classification
    case .needsModel(let pending):
      return pending.classify()
    }
  }

  /// Classifies a parsed request as far as it can without running the embedding model: the
  /// keyword rules and lexical classifier answer when they are sure (confidence at least
  /// `classifier.cascade_confidence`), and the model decides the rest. With the semantic
  /// cache on, every query needs its embedding (the cache compares meanings), so the model
  /// runs for the cache even when the lexical tier decided the category, unless the vector is
  /// still in the vector cache. The model never runs for a request whose model is named: its
  /// category decides no route, and its vector is wanted only for a configured model's cache
  /// (a client naming models that do not exist must not buy model time or fill the queue).
  public func startClassification(_ request: OpenAIRequest) -> ClassificationStep {
    switch lexicalTier(request) {
    case .decided(let classification): .decided(classification)
    case .needsModel(let pending): pending.lookingUpVectorCache()
    }
  }

  /// The cascade's first tier for `request`, as `startClassification` runs it, before the
  /// vector cache is asked: decided when it settles the classification without the model
  /// (`classifier.type: lexical`, a model that did not load, or a sure lexical tier when no
  /// cache vector is wanted), else the model must run. The guard phase runs this to learn the
  /// routed model's policy, and the classify phase goes on from it.
  public func lexicalTier(_ request: OpenAIRequest) -> ClassificationStep {
    let query = request.query
    let routesByCategory = isAutoModel(request.model)
    let wantsVector =
      configuration.semanticCache.enabled && (routesByCategory || balancers[request.model] != nil)
    let settings = configuration.classifier
    guard settings.kind == .embedding else {
      return .decided(classifier.classify(query.text, context: query.context, wantsVector: wantsVector))
    }
    guard let model = embeddingClassifier else {
      var lexical = classifier.classify(query.text, context: query.context, wantsVector: wantsVector)
      lexical.modelRun = ModelRun(model: "", outcome: .modelMissing)
      return .decided(lexical)
    }
    var lexical = classifier.classify(query.text, context: query.context, wantsVector: false)
    let lexicalSure =
      lexical.method == .keyword
      || (lexical.method == .statistical && settings.cascadeConfidence < 1
        && lexical.confidence >= settings.cascadeConfidence)
    if lexicalSure || !routesByCategory, !wantsVector {
      lexical.modelRun = ModelRun(model: model.modelName, outcome: .skipped)
      return .decided(lexical)
    }
    let pending = PendingModelClassification(
      lexical: lexical, text: classifier.readText(of: query.text),
      lexicalDecides: lexicalSure || !routesByCategory,
      wantsVector: wantsVector, model: model, fallbackCategory: configuration.fallbackCategory,
      confidenceThreshold: settings.confidenceThreshold)
    return .needsModel(pending)
  }

  /// `step`, the `lexicalTier` of a request the guards then redacted, for the redacted
  /// `request`: the lexical tier's answer stays (it chose the guards' policy), while the cache
  /// vector, and the text the model reads, become the redacted text's.
  public func lexicalTier(
    _ step: ClassificationStep, redactedTo request: OpenAIRequest
  ) -> ClassificationStep {
    switch step {
    case .decided(var classification):
      if classification.vector != .empty {
        classification.vector = classifier.queryVector(of: request.query.text)
      }
      return .decided(classification)
    case .needsModel(let pending):
      return .needsModel(pending.reading(classifier.readText(of: request.query.text)))
    }
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
      key += "#" + String(ContentDigest.of(context), radix: 16)
    }
    if let unread = classifier.unreadDigest(of: query.text) {
      key += "|" + String(UInt(bitPattern: unread), radix: 16)
    }
    if let numbers = QueryNumbers.digest(of: query.text) {
      key += "%" + String(numbers, radix: 16)
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
