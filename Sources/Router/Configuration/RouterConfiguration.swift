/// The router's whole configuration, read from one YAML file (`router-config.yaml`).
///
/// The schema contains the snippets of the user documentation (`models`, `default_model`,
/// `observability.tracing`) and adds what routing needs (`categories`, classifier, cache...).
/// `deploy/router-config.yaml` documents every key. Load it with `load(path:)` or `parse(yaml:)`.
public struct RouterConfiguration: Sendable, Equatable {
  /// The models requests can be routed to, in priority order: for a category, the first model
  /// that lists it wins.
  public var models: [ModelConfiguration]
  /// The model for requests whose category no model serves (and for the fallback category).
  public var defaultModel: String
  /// Declared categories; the fallback category is always among them (added when not declared).
  public var categories: [CategoryConfiguration]
  /// The category used when nothing matches or the classifier is not confident enough.
  public var fallbackCategory: String
  /// Classifier tuning.
  public var classifier: ClassifierSettings
  /// Model names that ask the router to choose (`"model": "auto"`).
  public var autoModelNames: [String]
  /// Names of the request headers the router sets for Envoy's routing.
  public var routingHeaders: RoutingHeaderNames
  /// Largest request body the router accepts; larger bodies get a 413 error.
  public var maxBodyBytes: Int
  /// Longest line, and most data of one event, the router reads in a streamed answer; past it
  /// the answer passes unread (`ResponseLimit.sseEvent`).
  public var maxSSEEventBytes = ServerSentEventParser.defaultMaxEventBytes
  /// Most text a translated Responses stream may carry (its closing events repeat it all);
  /// past it the client's stream ends with `response.failed` (`ResponseLimit.translatedAnswer`).
  public var maxTranslatedAnswerBytes = RouterConfiguration.defaultMaxTranslatedAnswerBytes
  /// What to do with a request naming a model that is not configured.
  public var unknownModel: UnknownModelPolicy
  /// The semantic cache.
  public var semanticCache: SemanticCacheSettings
  /// `observability.tracing`, for the tracing layer.
  public var tracing: TracingSettings
  /// `observability.logging` and `observability.access_log`.
  public var logging = LoggingSettings()
  /// `server:`, the ext_proc listener's limits.
  public var server: ServerSettings
  /// `guards:` (with `models[].guards`): PII and jailbreak guards; nil when not configured.
  public var guards: GuardSettings?

  public init(
    models: [ModelConfiguration],
    defaultModel: String,
    categories: [CategoryConfiguration] = [],
    fallbackCategory: String = "general",
    classifier: ClassifierSettings = ClassifierSettings(),
    autoModelNames: [String] = ["auto"],
    routingHeaders: RoutingHeaderNames = RoutingHeaderNames(),
    maxBodyBytes: Int = RouterConfiguration.defaultMaxBodyBytes,
    unknownModel: UnknownModelPolicy = .reject,
    semanticCache: SemanticCacheSettings = SemanticCacheSettings(),
    tracing: TracingSettings = TracingSettings(),
    server: ServerSettings = ServerSettings(), guards: GuardSettings? = nil
  ) {
    self.models = models
    self.defaultModel = defaultModel
    self.categories = categories
    if !categories.contains(where: { $0.name == fallbackCategory }) {
      self.categories.append(CategoryConfiguration(name: fallbackCategory))
    }
    self.fallbackCategory = fallbackCategory
    self.classifier = classifier
    self.autoModelNames = autoModelNames
    self.routingHeaders = routingHeaders
    self.maxBodyBytes = maxBodyBytes
    self.unknownModel = unknownModel
    self.semanticCache = semanticCache
    self.tracing = tracing
    self.server = server
    self.guards = guards
  }

  /// 1 MiB: Envoy's default per-connection buffer limit, and far above any chat prompt.
  public static let defaultMaxBodyBytes = 1 << 20
  /// 1 MiB: about 250,000 tokens of text, past the output limit of today's models, and the
  /// semantic cache's default `max_answer_bytes`.
  public static let defaultMaxTranslatedAnswerBytes = 1 << 20

  /// The model with this name, if configured.
  public func model(named name: String) -> ModelConfiguration? {
    models.first { $0.name == name }
  }

  /// Every distinct endpoint of every model, in order of first appearance, one per cluster name
  /// (an endpoint shared by two models appears once). The Envoy config has one cluster each.
  public var distinctEndpoints: [EndpointConfiguration] {
    var seen = Set<String>()
    var result: [EndpointConfiguration] = []
    for endpoint in models.flatMap(\.endpoints) where seen.insert(endpoint.clusterName).inserted {
      result.append(endpoint)
    }
    return result
  }
}

/// A model and the backends that serve it.
public struct ModelConfiguration: Sendable, Equatable {
  /// The name clients send in `model` and backends expect.
  public var name: String
  /// The categories this model serves (`category:` accepts one name or a list).
  public var categories: [String]
  /// The backends serving this model; requests are spread over them by weight.
  public var endpoints: [EndpointConfiguration]

  public init(name: String, categories: [String], endpoints: [EndpointConfiguration]) {
    self.name = name
    self.categories = categories
    self.endpoints = endpoints
  }
}

/// One backend endpoint (`http://host:port`) of a model.
public struct EndpointConfiguration: Sendable, Equatable {
  /// The endpoint's name; its Envoy cluster name is derived from it (`ClusterName`).
  public var name: String
  /// The address as written, e.g. `http://vllm-1:8000`.
  public var address: String
  /// `http` or `https`.
  public var scheme: String
  /// Host name or IP address (IPv6 without brackets).
  public var host: String
  public var port: Int
  /// Relative weight for smooth weighted round robin (default 1).
  public var weight: Int
  /// The APIs the backend serves (`apis:`); a request in another API is translated to chat
  /// completions, which every backend must serve.
  public var apis: Set<OpenAIRequest.Endpoint>

  /// What vLLM's OpenAI-compatible server serves today: chat completions, the Responses API
  /// and the Anthropic Messages API (vLLM's "Online Serving" documentation).
  public static let defaultAPIs: Set<OpenAIRequest.Endpoint> = [
    .chatCompletions, .responses, .messages,
  ]

  public init(
    name: String, address: String, weight: Int = 1,
    apis: Set<OpenAIRequest.Endpoint> = EndpointConfiguration.defaultAPIs
  ) throws(EndpointAddressError) {
    let parsed = try EndpointAddress(parsing: address)
    self.name = name
    self.address = address
    self.scheme = parsed.scheme
    self.host = parsed.host
    self.port = parsed.port
    self.weight = weight
    self.apis = apis
  }

  /// Whether a request of `api` goes to this backend as it is (`/v1/completions` always does:
  /// it has no translation).
  public func serves(_ api: OpenAIRequest.Endpoint) -> Bool {
    api == .completions || apis.contains(api)
  }

  /// The Envoy cluster that reaches this endpoint.
  public var clusterName: String { ClusterName.forEndpoint(named: name) }
}

/// A category requests can be classified into.
public struct CategoryConfiguration: Sendable, Equatable {
  public var name: String
  public var description: String
  /// Rules checked before the statistical classifier; the first category with a matching rule
  /// wins with confidence 1.
  public var keywordRules: [KeywordRule]
  /// Training examples for both classifiers (inline and from `examples_file`).
  public var examples: [String]
  /// Word lists (`lexicon_file`) the lexical classifier also trains on; the embedding model
  /// learns from whole sentences only (word lists pulled its neighbours off, see the README).
  public var lexicon: [String]

  public init(
    name: String, description: String = "", keywordRules: [KeywordRule] = [],
    examples: [String] = [], lexicon: [String] = []
  ) {
    self.name = name
    self.description = description
    self.keywordRules = keywordRules
    self.examples = examples
    self.lexicon = lexicon
  }
}

/// `routing_headers:`: the request headers Envoy routes on.
public struct RoutingHeaderNames: Sendable, Equatable {
  /// Carries the selected model (default `x-selected-model`).
  public var model: String
  /// Carries the selected Envoy cluster (default `x-selected-cluster`); the Envoy route uses it
  /// as `cluster_header`.
  public var cluster: String

  public init(model: String = "x-selected-model", cluster: String = "x-selected-cluster") {
    self.model = model
    self.cluster = cluster
  }
}

/// `unknown_model:`: the answer to a request naming a model that is not configured.
public enum UnknownModelPolicy: String, Sendable, Equatable {
  /// Answer 404 `model_not_found` in OpenAI's error format.
  case reject
  /// Forward it unchanged to Envoy's default route.
  case passThrough = "pass_through"
}

/// `semantic_cache:` settings.
public struct SemanticCacheSettings: Sendable, Equatable {
  /// 64 MiB: an eighth of the shipped sidecar's 512 MiB memory limit, 63 answers at the largest
  /// stored size, and far more than 1,000 typical chat answers of a few kilobytes need.
  public static let defaultMaxBytes = 64 << 20
  /// 1 MiB: Envoy's default per-connection buffer limit, and the router's default
  /// `max_body_bytes`.
  public static let defaultMaxAnswerBytes = 1 << 20

  /// The default `embedding_similarity_threshold`: the lowest at which all-MiniLM-L6-v2 serves
  /// none of the 40 different-meaning pairs of `deploy/cache/paraphrases-dev.tsv` (a wrong
  /// answer costs more than a miss; the README's semantic cache section has the whole curve).
  public static let defaultEmbeddingSimilarityThreshold = 0.93

  public var enabled: Bool
  /// Cosine similarity at or above which a cached answer is served, for lexical query vectors.
  public var similarityThreshold: Double
  /// The same for sentence-embedding query vectors, whose cosines run in another range.
  public var embeddingSimilarityThreshold =
    SemanticCacheSettings.defaultEmbeddingSimilarityThreshold
  /// The most entries kept; the least recently used goes first.
  public var maxEntries: Int
  /// The most bytes all entries may take (see `SemanticCache.entryBytes`); the least recently
  /// used go first.
  public var maxBytes: Int
  /// Answers with a larger body are not stored (they still reach the client unchanged).
  public var maxAnswerBytes: Int
  /// How long an entry may be served (with Redis, also every key's expiry).
  public var ttlSeconds: Int
  /// Where entries live; `memory` by default.
  public var backend: CacheBackendKind = .memory
  /// How to reach Redis; set exactly when `backend` is `redis`.
  public var redis: RedisCacheSettings?

  public init(
    enabled: Bool = false, similarityThreshold: Double = 0.95, maxEntries: Int = 1000,
    maxBytes: Int = SemanticCacheSettings.defaultMaxBytes,
    maxAnswerBytes: Int = SemanticCacheSettings.defaultMaxAnswerBytes, ttlSeconds: Int = 3600
  ) {
    self.enabled = enabled
    self.similarityThreshold = similarityThreshold
    self.maxEntries = maxEntries
    self.maxBytes = maxBytes
    self.maxAnswerBytes = maxAnswerBytes
    self.ttlSeconds = ttlSeconds
  }

  /// The threshold for query vectors of `kind`.
  public func similarityThreshold(for kind: QueryVector.Kind) -> Double {
    kind == .embedding ? embeddingSimilarityThreshold : similarityThreshold
  }
}
