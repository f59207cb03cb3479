import Foundation
import Yams

/// Turns a composed YAML tree into a `RouterConfiguration`, checking shapes, value ranges and
/// cross references, and collecting every problem with its key path and line.
final class RouterConfigurationParser {
  let reader = YAMLNodeReader()
  let baseDirectory: String

  init(baseDirectory: String) {
    self.baseDirectory = baseDirectory
  }

  var issues: [ConfigurationIssue] { reader.issues }

  static let topLevelKeys = [
    "models", "default_model", "categories", "fallback_category", "classifier",
    "auto_model_names", "routing_headers", "max_body_bytes", "unknown_model", "semantic_cache",
    "observability", "server", "guards", "max_sse_event_bytes", "max_translated_answer_bytes",
  ]

  /// A parsed model with the nodes needed to locate reference errors.
  private struct ParsedModel {
    var model: ModelConfiguration
    var nameNode: Node
    /// (category name, node it was written at)
    var categoryNodes: [(String, Node)]
    /// (endpoint, node of its name)
    var endpointNodes: [(EndpointConfiguration, Node)]
    /// `guards:` of this model, if written.
    var guards: ModelGuardOverride?
  }

  /// The configuration, or nil when the tree is unusable; check `issues` either way.
  func parse(root: Node?) -> RouterConfiguration? {
    guard let root else {
      reader.fail("", line: 1, column: 1, "the file is empty; expected models and default_model")
      return nil
    }
    guard let top = reader.mapping(root, at: "", keys: Self.topLevelKeys) else { return nil }

    let fallback =
      top["fallback_category"].flatMap { reader.nonEmptyString($0, at: "fallback_category") }
      ?? "general"
    var categories: [CategoryConfiguration] = []
    var categoryNodes: [String: Node] = [:]
    if let node = top["categories"], let items = reader.sequence(node, at: "categories") {
      for (index, item) in items.enumerated() {
        let path = "categories[\(index)]"
        guard let (category, nameNode) = parseCategory(item, at: path) else { continue }
        if categoryNodes[category.name] != nil {
          reader.fail("\(path).name", nameNode, "duplicate category '\(category.name)'")
          continue
        }
        categoryNodes[category.name] = nameNode
        categories.append(category)
      }
    }

    var models: [ParsedModel] = []
    if let node = top["models"] {
      if let items = reader.sequence(node, at: "models") {
        if items.isEmpty { reader.fail("models", node, "at least one model is required") }
        for (index, item) in items.enumerated() {
          if let model = parseModel(item, at: "models[\(index)]") { models.append(model) }
        }
      }
    } else {
      reader.fail("models", root, "required key is missing")
    }

    var defaultModel = ""
    var defaultModelNode: Node?
    if let node = top["default_model"] {
      defaultModel = reader.nonEmptyString(node, at: "default_model") ?? ""
      defaultModelNode = node
    } else {
      reader.fail("default_model", root, "required key is missing")
    }

    var configuration = RouterConfiguration(
      models: models.map(\.model), defaultModel: defaultModel, categories: categories,
      fallbackCategory: fallback)
    configuration.classifier.examplesCachePath = defaultExamplesCachePath
    parseScalars(top, into: &configuration)
    if let node = top["semantic_cache"] {
      configuration.semanticCache = parseCache(node) ?? configuration.semanticCache
    }
    if let node = top["server"] {
      configuration.server = parseServer(node)
    }
    let guardOverrides = models.compactMap { model in model.guards.map { (model.model.name, $0) } }
    configuration.guards = parseGuards(top["guards"], overrides: guardOverrides)
    if let node = top["observability"],
      let observability = reader.mapping(
        node, at: "observability", keys: ["tracing", "logging", "access_log"])
    {
      if let tracing = observability["tracing"] {
        configuration.tracing = parseTracing(tracing, at: "observability.tracing")
      }
      parseLogging(observability, into: &configuration.logging)
    }

    checkReferences(
      configuration, models: models, categoryNodes: categoryNodes,
      defaultModelNode: defaultModelNode, autoNamesNode: top["auto_model_names"])
    return configuration
  }

  // MARK: - Sections

  private func parseCategory(_ node: Node, at path: String) -> (CategoryConfiguration, Node)? {
    let keys = [
      "name", "description", "keyword_rules", "examples", "examples_file", "lexicon_file",
    ]
    guard let fields = reader.mapping(node, at: path, keys: keys) else { return nil }
    guard let nameNode = fields["name"] else {
      reader.fail("\(path).name", node, "required key is missing")
      return nil
    }
    guard let name = reader.nonEmptyString(nameNode, at: "\(path).name") else { return nil }
    var category = CategoryConfiguration(name: name)
    if let node = fields["description"] {
      category.description = reader.string(node, at: "\(path).description") ?? ""
    }
    if let node = fields["keyword_rules"],
      let rules = reader.sequence(node, at: "\(path).keyword_rules")
    {
      for (index, rule) in rules.enumerated() {
        if let rule = parseKeywordRule(rule, at: "\(path).keyword_rules[\(index)]") {
          category.keywordRules.append(rule)
        }
      }
    }
    if let node = fields["examples"] {
      category.examples += reader.stringList(node, at: "\(path).examples") ?? []
    }
    if let node = fields["examples_file"],
      let files = reader.stringOrStringList(node, at: "\(path).examples_file")
    {
      for file in files {
        category.examples += readExamples(file, node: node, at: "\(path).examples_file")
      }
    }
    if let node = fields["lexicon_file"],
      let files = reader.stringOrStringList(node, at: "\(path).lexicon_file")
    {
      for file in files {
        category.lexicon += readExamples(file, node: node, at: "\(path).lexicon_file")
      }
    }
    return (category, nameNode)
  }

  private func parseKeywordRule(_ node: Node, at path: String) -> KeywordRule? {
    let keys = ["operator", "keywords", "case_sensitive"]
    guard let fields = reader.mapping(node, at: path, keys: keys) else { return nil }
    var ruleOperator = KeywordRule.Operator.or
    if let node = fields["operator"], let text = reader.string(node, at: "\(path).operator") {
      if let value = KeywordRule.Operator(rawValue: text.uppercased()) {
        ruleOperator = value
      } else {
        reader.fail("\(path).operator", node, "must be AND, OR or NOR, found '\(text)'")
      }
    }
    guard let keywordsNode = fields["keywords"] else {
      reader.fail("\(path).keywords", node, "required key is missing")
      return nil
    }
    guard let keywords = reader.stringList(keywordsNode, at: "\(path).keywords") else { return nil }
    if keywords.isEmpty {
      reader.fail("\(path).keywords", keywordsNode, "at least one keyword is required")
    }
    let caseSensitive =
      fields["case_sensitive"].flatMap { reader.bool($0, at: "\(path).case_sensitive") } ?? false
    return KeywordRule(operator: ruleOperator, keywords: keywords, caseSensitive: caseSensitive)
  }

  /// One example per line; blank lines and lines starting with `#` are skipped.
  func readExamples(_ file: String, node: Node, at path: String) -> [String] {
    let fullPath = file.hasPrefix("/") ? file : "\(baseDirectory)/\(file)"
    guard let text = try? String(contentsOfFile: fullPath, encoding: .utf8) else {
      reader.fail(path, node, "cannot read examples file '\(fullPath)'")
      return []
    }
    return text.split(whereSeparator: \.isNewline).compactMap { line in
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      return trimmed.isEmpty || trimmed.hasPrefix("#") ? nil : trimmed
    }
  }

  private func parseModel(_ node: Node, at path: String) -> ParsedModel? {
    let keys = ["name", "category", "endpoints", "apis", "guards"]
    guard let fields = reader.mapping(node, at: path, keys: keys) else { return nil }
    let modelAPIs = fields["apis"].flatMap { parseAPIs($0, at: "\(path).apis") }
    guard let nameNode = fields["name"] else {
      reader.fail("\(path).name", node, "required key is missing")
      return nil
    }
    guard let name = reader.nonEmptyString(nameNode, at: "\(path).name") else { return nil }
    var categoryNodes: [(String, Node)] = []
    if let node = fields["category"],
      let names = reader.stringOrStringList(node, at: "\(path).category")
    {
      let nodes: [Node]
      if case .sequence(let sequence) = node { nodes = Array(sequence) } else { nodes = [node] }
      categoryNodes = Array(zip(names, nodes))
    }
    var endpoints: [(EndpointConfiguration, Node)] = []
    if let endpointsNode = fields["endpoints"] {
      if let items = reader.sequence(endpointsNode, at: "\(path).endpoints") {
        if items.isEmpty {
          reader.fail("\(path).endpoints", endpointsNode, "a model needs at least one endpoint")
        }
        for (index, item) in items.enumerated() {
          if let endpoint = parseEndpoint(
            item, at: "\(path).endpoints[\(index)]", modelAPIs: modelAPIs)
          {
            endpoints.append(endpoint)
          }
        }
      }
    } else {
      reader.fail("\(path).endpoints", nameNode, "model '\(name)' has no endpoints")
    }
    let model = ModelConfiguration(
      name: name, categories: categoryNodes.map(\.0), endpoints: endpoints.map(\.0))
    return ParsedModel(
      model: model, nameNode: nameNode, categoryNodes: categoryNodes, endpointNodes: endpoints,
      guards: fields["guards"].flatMap { parseModelGuards($0, at: "\(path).guards") })
  }

  private func parseEndpoint(
    _ node: Node, at path: String, modelAPIs: Set<OpenAIRequest.Endpoint>?
  ) -> (EndpointConfiguration, Node)? {
    guard
      let fields = reader.mapping(node, at: path, keys: ["name", "address", "weight", "apis"])
    else { return nil }
    let apis =
      fields["apis"].flatMap { parseAPIs($0, at: "\(path).apis") } ?? modelAPIs
      ?? EndpointConfiguration.defaultAPIs
    var name: String?
    var address: String?
    var nameNode = node
    if let node = fields["name"] {
      name = reader.nonEmptyString(node, at: "\(path).name")
      nameNode = node
    } else {
      reader.fail("\(path).name", node, "required key is missing")
    }
    if let node = fields["address"] {
      address = reader.nonEmptyString(node, at: "\(path).address")
    } else {
      reader.fail("\(path).address", node, "required key is missing")
    }
    let weight = fields["weight"].map { reader.int($0, at: "\(path).weight", in: 1...1000) } ?? 1
    guard let name, let address, let weight else { return nil }
    do {
      return (
        try EndpointConfiguration(name: name, address: address, weight: weight, apis: apis),
        nameNode
      )
    } catch {
      reader.fail("\(path).address", fields["address"], error.description)
      return nil
    }
  }

  /// An `apis` list: `chat_completions`, `responses`, `messages`; chat completions must be
  /// among them, since every other API is translated to it.
  private func parseAPIs(_ node: Node, at path: String) -> Set<OpenAIRequest.Endpoint>? {
    guard let names = reader.stringOrStringList(node, at: path) else { return nil }
    let allowed: [OpenAIRequest.Endpoint] = [.chatCompletions, .responses, .messages]
    var apis = Set<OpenAIRequest.Endpoint>()
    for name in names {
      guard let api = OpenAIRequest.Endpoint(rawValue: name), allowed.contains(api) else {
        let list = allowed.map(\.rawValue).joined(separator: ", ")
        reader.fail(path, node, "'\(name)' is not an API; expected some of \(list)")
        return nil
      }
      apis.insert(api)
    }
    guard apis.contains(.chatCompletions) else {
      reader.fail(
        path, node,
        "must include chat_completions: requests in the other APIs are translated to it")
      return nil
    }
    return apis
  }

  private func parseScalars(_ top: [String: Node], into configuration: inout RouterConfiguration) {
    if let node = top["classifier"] {
      parseClassifier(node, into: &configuration.classifier)
    }
    if let node = top["auto_model_names"],
      let names = reader.stringOrStringList(node, at: "auto_model_names")
    {
      if names.isEmpty {
        reader.fail("auto_model_names", node, "at least one name is required")
      } else {
        configuration.autoModelNames = names
      }
    }
    if let node = top["routing_headers"],
      let fields = reader.mapping(node, at: "routing_headers", keys: ["model", "cluster"])
    {
      if let node = fields["model"], let name = headerName(node, at: "routing_headers.model") {
        configuration.routingHeaders.model = name
      }
      if let node = fields["cluster"], let name = headerName(node, at: "routing_headers.cluster") {
        configuration.routingHeaders.cluster = name
      }
    }
    if let node = top["max_body_bytes"],
      let value = reader.int(node, at: "max_body_bytes", in: 1...(64 << 20))
    {
      configuration.maxBodyBytes = value
    }
    if let node = top["max_sse_event_bytes"],
      let value = reader.int(node, at: "max_sse_event_bytes", in: 1024...(64 << 20))
    {
      configuration.maxSSEEventBytes = value
    }
    if let node = top["max_translated_answer_bytes"],
      let value = reader.int(node, at: "max_translated_answer_bytes", in: 1024...(64 << 20))
    {
      configuration.maxTranslatedAnswerBytes = value
    }
    if let node = top["unknown_model"], let text = reader.string(node, at: "unknown_model") {
      if let policy = UnknownModelPolicy(rawValue: text) {
        configuration.unknownModel = policy
      } else {
        reader.fail("unknown_model", node, "must be reject or pass_through, found '\(text)'")
      }
    }
  }

  /// A header name Envoy lets ext_proc set: lower-case token, not a pseudo-header, not `host`,
  /// not `x-envoy-*`.
  private func headerName(_ node: Node, at path: String) -> String? {
    guard let name = reader.nonEmptyString(node, at: path) else { return nil }
    let valid = name.utf8.allSatisfy { byte in
      (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
        || byte == UInt8(ascii: "_")
    }
    guard valid, name != "host", !name.hasPrefix("x-envoy-") else {
      reader.fail(path, node, "'\(name)' is not a lower-case header name Envoy lets us set")
      return nil
    }
    return name
  }

  private func parseCache(_ node: Node) -> SemanticCacheSettings? {
    let keys = [
      "enabled", "similarity_threshold", "embedding_similarity_threshold", "max_entries",
      "max_bytes", "max_answer_bytes", "ttl_seconds", "backend", "redis",
    ]
    guard let fields = reader.mapping(node, at: "semantic_cache", keys: keys) else { return nil }
    var settings = SemanticCacheSettings()
    if let node = fields["enabled"], let value = reader.bool(node, at: "semantic_cache.enabled") {
      settings.enabled = value
    }
    if let node = fields["similarity_threshold"],
      let value = reader.double(node, at: "semantic_cache.similarity_threshold", in: 0.01...1)
    {
      settings.similarityThreshold = value
    }
    if let node = fields["embedding_similarity_threshold"],
      let value = reader.double(
        node, at: "semantic_cache.embedding_similarity_threshold", in: 0.01...1)
    {
      settings.embeddingSimilarityThreshold = value
    }
    if let node = fields["max_entries"],
      let value = reader.int(node, at: "semantic_cache.max_entries", in: 1...1_000_000)
    {
      settings.maxEntries = value
    }
    if let node = fields["max_bytes"],
      let value = reader.int(node, at: "semantic_cache.max_bytes", in: 1...(1 << 40))
    {
      settings.maxBytes = value
    }
    if let node = fields["max_answer_bytes"],
      let value = reader.int(node, at: "semantic_cache.max_answer_bytes", in: 1...(1 << 40))
    {
      settings.maxAnswerBytes = value
    }
    if fields["max_answer_bytes"] == nil {
      // A budget below the default answer limit lowers the limit with it.
      settings.maxAnswerBytes = min(settings.maxAnswerBytes, settings.maxBytes)
    } else if settings.maxAnswerBytes > settings.maxBytes {
      reader.fail(
        "semantic_cache.max_answer_bytes", fields["max_answer_bytes"],
        "must not exceed max_bytes (\(settings.maxBytes))")
    }
    if let node = fields["ttl_seconds"],
      let value = reader.int(node, at: "semantic_cache.ttl_seconds", in: 1...31_536_000)
    {
      settings.ttlSeconds = value
    }
    if let node = fields["backend"], let text = reader.string(node, at: "semantic_cache.backend") {
      if let backend = CacheBackendKind(rawValue: text) {
        settings.backend = backend
      } else {
        reader.fail("semantic_cache.backend", node, "must be memory or redis, not '\(text)'")
      }
    }
    if let node = fields["redis"] {
      settings.redis = parseRedis(node)
    }
    if settings.backend == .redis, settings.redis == nil, fields["redis"] == nil {
      reader.fail(
        "semantic_cache.redis", fields["backend"], "required when backend is redis (address)")
    }
    if settings.backend == .memory { settings.redis = nil }
    return settings
  }

  private func parseRedis(_ node: Node) -> RedisCacheSettings? {
    let keys = [
      "address", "password_env", "key_prefix", "timeout_ms", "max_pending_commands", "tls",
    ]
    guard let fields = reader.mapping(node, at: "semantic_cache.redis", keys: keys) else {
      return nil
    }
    // The other keys are checked even when the address is bad, so `validate` lists them all.
    var address: RedisAddress.Parsed?
    if let addressNode = fields["address"] {
      if let text = reader.nonEmptyString(addressNode, at: "semantic_cache.redis.address") {
        switch RedisAddress.parse(text) {
        case .success(let parsed): address = parsed
        case .failure(let invalid):
          reader.fail("semantic_cache.redis.address", addressNode, invalid.message)
        }
      }
    } else {
      reader.fail("semantic_cache.redis.address", node, "required key is missing")
    }
    var settings = RedisCacheSettings(
      host: address?.host ?? "", port: address?.port ?? 6379, username: address?.username,
      urlPassword: address?.password, database: address?.database ?? 0)
    if let node = fields["password_env"],
      let name = reader.nonEmptyString(node, at: "semantic_cache.redis.password_env")
    {
      let valid =
        name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || ($0 < 128 && isalnum(Int32($0)) != 0) }
        && !(name.first?.isNumber ?? true)
      if valid {
        settings.passwordEnvironment = name
      } else {
        reader.fail(
          "semantic_cache.redis.password_env", node,
          "'\(name)' is not an environment variable name (the name, never the password)")
      }
    }
    if let node = fields["key_prefix"],
      let prefix = reader.string(node, at: "semantic_cache.redis.key_prefix")
    {
      settings.keyPrefix = prefix
    }
    if let node = fields["timeout_ms"],
      let value = reader.int(node, at: "semantic_cache.redis.timeout_ms", in: 1...10_000)
    {
      settings.timeoutMilliseconds = value
    }
    if let node = fields["max_pending_commands"],
      let value = reader.int(
        node, at: "semantic_cache.redis.max_pending_commands", in: 1...1_000_000)
    {
      settings.maxPendingCommands = value
    }
    if let node = fields["tls"] {
      settings.tls = parseRedisTLS(node)
      if address?.tls == false {
        reader.fail("semantic_cache.redis.tls", node, "needs a rediss:// address")
      }
    } else if address?.tls == true {
      settings.tls = RedisTLSSettings()
    }
    return address == nil ? nil : settings
  }

  private func parseRedisTLS(_ node: Node) -> RedisTLSSettings {
    let path = "semantic_cache.redis.tls"
    let keys = ["ca_file", "cert_file", "key_file", "server_name"]
    var settings = RedisTLSSettings()
    guard let fields = reader.mapping(node, at: path, keys: keys) else { return settings }
    var values: [String: String] = [:]
    for key in keys {
      if let node = fields[key], let value = reader.nonEmptyString(node, at: "\(path).\(key)") {
        values[key] = value
      }
    }
    settings.caFile = values["ca_file"]
    settings.certificateFile = values["cert_file"]
    settings.keyFile = values["key_file"]
    settings.serverName = values["server_name"]
    // A client certificate is useless without its key, and a key without its certificate.
    for (key, other) in [("cert_file", "key_file"), ("key_file", "cert_file")]
    where fields[key] != nil && fields[other] == nil {
      reader.fail("\(path).\(other)", node, "required with \(key)")
    }
    return settings
  }

  private func parseServer(_ node: Node) -> ServerSettings {
    var settings = ServerSettings()
    let keys = [
      "max_header_list_bytes", "max_header_count", "preface_timeout", "idle_timeout",
      "stream_idle_timeout", "max_connection_age", "max_connections", "tls",
      "max_connection_input_bytes", "max_connection_output_bytes", "output_stall_timeout",
      "max_buffered_bytes",
    ]
    guard let fields = reader.mapping(node, at: "server", keys: keys) else { return settings }
    // Below 1 KiB a gRPC request's own headers no longer fit; Envoy allows up to 8 MiB.
    if let node = fields["max_header_list_bytes"],
      let value = reader.int(node, at: "server.max_header_list_bytes", in: 1024...(8 << 20))
    {
      settings.maxHeaderListBytes = value
    }
    if let node = fields["max_header_count"],
      let value = reader.int(node, at: "server.max_header_count", in: 1...10_000)
    {
      settings.maxHeaderCount = value
    }
    // Durations run from 0 (off) to a day, as `duration` reads them.
    let durations: [(key: String, field: WritableKeyPath<ServerSettings, Duration>)] = [
      ("preface_timeout", \.prefaceTimeout), ("idle_timeout", \.idleTimeout),
      ("stream_idle_timeout", \.streamIdleTimeout), ("max_connection_age", \.maxConnectionAge),
      ("output_stall_timeout", \.outputStallTimeout),
    ]
    for (key, field) in durations {
      if let node = fields[key], let value = reader.duration(node, at: "server.\(key)") {
        settings[keyPath: field] = value
      }
    }
    if let node = fields["max_connections"],
      let value = reader.int(node, at: "server.max_connections", in: 1...1_000_000)
    {
      settings.maxConnections = value
    }
    if let node = fields["tls"] {
      settings.tls = parseServerTLS(node)
    }
    // The input cap is the connection window: at least one 4 MiB message and its prefix, at
    // most HTTP/2's largest window (2^31 - 1).
    let byteLimits: [(String, ClosedRange<Int>, WritableKeyPath<ServerSettings, Int>)] = [
      ("max_connection_input_bytes", ((4 << 20) + 5)...Int(Int32.max), \.maxConnectionInputBytes),
      ("max_connection_output_bytes", (64 << 10)...(1 << 40), \.maxConnectionOutputBytes),
      ("max_buffered_bytes", (1 << 20)...(1 << 40), \.maxBufferedBytes),
    ]
    for (key, range, field) in byteLimits {
      if let node = fields[key], let value = reader.int(node, at: "server.\(key)", in: range) {
        settings[keyPath: field] = value
      }
    }
    return settings
  }

  private func parseServerTLS(_ node: Node) -> ServerTLSSettings? {
    let path = "server.tls"
    let keys = ["cert_file", "key_file", "client_ca_file"]
    guard let fields = reader.mapping(node, at: path, keys: keys) else { return nil }
    var files: [String: String] = [:]
    for key in keys {
      if let node = fields[key], let value = reader.nonEmptyString(node, at: "\(path).\(key)") {
        files[key] = value
      }
    }
    for key in ["cert_file", "key_file"] where fields[key] == nil {
      reader.fail("\(path).\(key)", node, "required key is missing")
    }
    guard let certificate = files["cert_file"], let key = files["key_file"] else { return nil }
    return ServerTLSSettings(
      certificateFile: certificate, keyFile: key, clientCAFile: files["client_ca_file"])
  }

  // MARK: - Tracing

  private func parseLogging(_ observability: [String: Node], into settings: inout LoggingSettings) {
    if let node = observability["logging"],
      let fields = reader.mapping(node, at: "observability.logging", keys: ["format"]),
      let formatNode = fields["format"],
      let text = reader.string(formatNode, at: "observability.logging.format")
    {
      if let format = LoggingSettings.Format(rawValue: text) {
        settings.format = format
      } else {
        let allowed = LoggingSettings.Format.allCases.map(\.rawValue).joined(separator: ", ")
        reader.fail(
          "observability.logging.format", formatNode, "must be one of \(allowed), found '\(text)'")
      }
    }
    let path = "observability.access_log"
    guard let node = observability["access_log"],
      let fields = reader.mapping(node, at: path, keys: ["enabled", "path", "max_queued_lines"])
    else { return }
    if let node = fields["enabled"], let value = reader.bool(node, at: "\(path).enabled") {
      settings.accessLogEnabled = value
    }
    if let node = fields["path"], let value = reader.nonEmptyString(node, at: "\(path).path") {
      settings.accessLogPath = value
    }
    if let node = fields["max_queued_lines"],
      let value = reader.int(node, at: "\(path).max_queued_lines", in: 1...1_000_000)
    {
      settings.accessLogMaxQueuedLines = value
    }
  }

  private func parseTracing(_ node: Node, at path: String) -> TracingSettings {
    let keys = [
      "enabled", "service_name", "deployment_environment", "exporter", "sampling", "batch",
    ]
    var settings = TracingSettings()
    guard let fields = reader.mapping(node, at: path, keys: keys) else { return settings }
    if let node = fields["enabled"], let value = reader.bool(node, at: "\(path).enabled") {
      settings.enabled = value
    }
    if let node = fields["service_name"] {
      settings.serviceName = reader.nonEmptyString(node, at: "\(path).service_name")
    }
    if let node = fields["deployment_environment"] {
      settings.deploymentEnvironment = reader.nonEmptyString(
        node, at: "\(path).deployment_environment")
    }
    if let node = fields["exporter"] {
      settings.exporter = parseExporter(node, at: "\(path).exporter")
    }
    if let node = fields["sampling"] {
      settings.sampling = parseSampling(node, at: "\(path).sampling")
    }
    if let node = fields["batch"] {
      settings.batch = parseBatch(node, at: "\(path).batch")
    }
    return settings
  }

  private func parseExporter(_ node: Node, at path: String) -> TracingSettings.Exporter {
    let keys = ["type", "endpoint", "insecure", "headers", "timeout", "ca_file"]
    var exporter = TracingSettings.Exporter()
    guard let fields = reader.mapping(node, at: path, keys: keys) else { return exporter }
    if let node = fields["type"], let text = reader.string(node, at: "\(path).type") {
      if let type = TracingSettings.ExporterType(rawValue: text) {
        exporter.type = type
      } else {
        let allowed = TracingSettings.ExporterType.allCases.map(\.rawValue).joined(separator: ", ")
        reader.fail("\(path).type", node, "must be one of \(allowed), found '\(text)'")
      }
    }
    if let node = fields["endpoint"] {
      exporter.endpoint = reader.nonEmptyString(node, at: "\(path).endpoint")
    }
    if let node = fields["insecure"] {
      if let insecure = reader.bool(node, at: "\(path).insecure") { exporter.insecure = insecure }
    }
    if let node = fields["headers"], case .mapping(let mapping) = node {
      for (key, value) in mapping {
        guard let name = reader.nonEmptyString(key, at: "\(path).headers"),
          let text = reader.string(value, at: "\(path).headers.\(name)")
        else { continue }
        exporter.headers[name] = text
      }
    } else if let node = fields["headers"] {
      reader.fail(
        "\(path).headers", node, "expected a mapping, found \(YAMLNodeReader.kind(of: node))")
    }
    if let node = fields["timeout"] {
      if let timeout = reader.duration(node, at: "\(path).timeout") { exporter.timeout = timeout }
    }
    if let node = fields["ca_file"] {
      exporter.caFile = reader.nonEmptyString(node, at: "\(path).ca_file")
    }
    return exporter
  }

  private func parseSampling(_ node: Node, at path: String) -> TracingSettings.Sampling {
    var sampling = TracingSettings.Sampling()
    guard let fields = reader.mapping(node, at: path, keys: ["type", "rate", "parent_based"])
    else { return sampling }
    if let node = fields["type"], let text = reader.string(node, at: "\(path).type") {
      if let type = TracingSettings.SamplingType(rawValue: text) {
        sampling.type = type
      } else {
        let allowed = TracingSettings.SamplingType.allCases.map(\.rawValue).joined(separator: ", ")
        reader.fail("\(path).type", node, "must be one of \(allowed), found '\(text)'")
      }
    }
    if let node = fields["rate"], let rate = reader.double(node, at: "\(path).rate", in: 0...1) {
      sampling.rate = rate
    }
    if let node = fields["parent_based"],
      let value = reader.bool(node, at: "\(path).parent_based")
    {
      sampling.parentBased = value
    }
    return sampling
  }

  private func parseBatch(_ node: Node, at path: String) -> TracingSettings.Batch {
    let keys = ["max_queue_size", "max_export_batch_size", "schedule_delay", "export_timeout"]
    var batch = TracingSettings.Batch()
    guard let fields = reader.mapping(node, at: path, keys: keys) else { return batch }
    if let node = fields["max_queue_size"] {
      batch.maxQueueSize = reader.int(node, at: "\(path).max_queue_size", in: 1...1_000_000)
    }
    if let node = fields["max_export_batch_size"] {
      batch.maxExportBatchSize = reader.int(
        node, at: "\(path).max_export_batch_size", in: 1...1_000_000)
    }
    if let node = fields["schedule_delay"] {
      batch.scheduleDelay = reader.duration(node, at: "\(path).schedule_delay")
    }
    if let node = fields["export_timeout"] {
      batch.exportTimeout = reader.duration(node, at: "\(path).export_timeout")
    }
    if let size = batch.maxExportBatchSize, let queue = batch.maxQueueSize, size > queue {
      reader.fail(
        "\(path).max_export_batch_size", fields["max_export_batch_size"],
        "must not exceed max_queue_size (\(queue))")
    }
    return batch
  }

  // MARK: - References

  private func checkReferences(
    _ configuration: RouterConfiguration, models: [ParsedModel], categoryNodes: [String: Node],
    defaultModelNode: Node?, autoNamesNode: Node?
  ) {
    var modelNames = Set<String>()
    var clusters: [String: (EndpointConfiguration, String)] = [:]
    for (index, parsed) in models.enumerated() {
      let path = "models[\(index)]"
      if !modelNames.insert(parsed.model.name).inserted {
        reader.fail("\(path).name", parsed.nameNode, "duplicate model '\(parsed.model.name)'")
      }
      for (categoryIndex, (category, node)) in parsed.categoryNodes.enumerated() {
        guard !configuration.categories.contains(where: { $0.name == category }) else { continue }
        let categoryPath =
          parsed.categoryNodes.count > 1 || node.sequence != nil
          ? "\(path).category[\(categoryIndex)]" : "\(path).category"
        reader.fail(categoryPath, node, "category '\(category)' is not declared under categories")
      }
      var endpointNames = Set<String>()
      for (endpointIndex, (endpoint, node)) in parsed.endpointNodes.enumerated() {
        let endpointPath = "\(path).endpoints[\(endpointIndex)].name"
        if !endpointNames.insert(endpoint.name).inserted {
          reader.fail(endpointPath, node, "duplicate endpoint '\(endpoint.name)' in this model")
          continue
        }
        if let (other, otherPath) = clusters[endpoint.clusterName] {
          if other.name != endpoint.name || other.address != endpoint.address {
            reader.fail(
              endpointPath, node,
              "endpoint '\(endpoint.name)' (\(endpoint.address)) clashes with \(otherPath) "
                + "'\(other.name)' (\(other.address)): both map to Envoy cluster "
                + "'\(endpoint.clusterName)'; a shared endpoint needs the same name and address")
          }
        } else {
          clusters[endpoint.clusterName] = (endpoint, endpointPath)
        }
      }
    }
    if !configuration.defaultModel.isEmpty, !modelNames.contains(configuration.defaultModel) {
      reader.fail(
        "default_model", defaultModelNode,
        "'\(configuration.defaultModel)' is not one of the models")
    }
    let served = Set(configuration.models.flatMap(\.categories))
    for category in configuration.categories
    where category.name != configuration.fallbackCategory && !served.contains(category.name) {
      reader.fail(
        "categories", categoryNodes[category.name],
        "no model serves category '\(category.name)' (list it in a model's category)")
    }
    for name in configuration.autoModelNames where modelNames.contains(name) {
      reader.fail(
        "auto_model_names", autoNamesNode,
        "'\(name)' is also a model name; a request for it would be ambiguous")
    }
  }
}
