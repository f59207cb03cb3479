import Router
import Testing

/// A valid configuration whose `classifier:` section follows (its first key is on line 7).
private let configurationHead = RouterFixtures.oneModelYAML + "classifier:\n"

@Suite struct ClassifierSettingsTests {
  private func parse(_ section: String) throws -> ClassifierSettings {
    try RouterConfiguration.parse(
      yaml: configurationHead + section + "\n", baseDirectory: "/etc/router"
    ).classifier
  }

  private func issues(_ section: String) -> [ConfigurationIssue] {
    configurationIssues(configurationHead + section + "\n")
  }

  @Test func defaults_areLexicalWithTheMeasuredCascadeAndACacheFileNextToTheConfig() throws {
    let settings = try parse("  confidence_threshold: 0.4")
    #expect(settings.kind == .lexical)
    #expect(settings.modelPath == nil)
    #expect(settings.precision == .f32)
    #expect(settings.cascadeConfidence == ClassifierSettings.defaultCascadeConfidence)
    #expect(settings.onOverload == .lexical)
    #expect(settings.inferenceThreads == 0)
    #expect(settings.queueCapacity == ClassifierSettings.defaultQueueCapacity)
    #expect(settings.vectorCacheEntries == ClassifierSettings.defaultVectorCacheEntries)
    #expect(settings.examplesCachePath == "/etc/router/.classifier-examples.cache")
  }

  @Test func everyKey_isRead_andPathsAreRelativeToTheConfigFile() throws {
    let settings = try parse(
      """
        type: embedding
        model_path: models/all-MiniLM-L6-v2
        precision: int8
        cascade_confidence: 0.75
        on_overload: reject
        inference_threads: 3
        queue_capacity: 16
        vector_cache_entries: 0
        examples_cache: /var/cache/router/examples.bin
      """)
    #expect(settings.kind == .embedding)
    #expect(settings.modelPath == "/etc/router/models/all-MiniLM-L6-v2")
    #expect(settings.precision == .int8)
    #expect(settings.cascadeConfidence == 0.75)
    #expect(settings.onOverload == .reject)
    #expect(settings.inferenceThreads == 3)
    #expect(settings.queueCapacity == 16)
    #expect(settings.vectorCacheEntries == 0)
    #expect(settings.examplesCachePath == "/var/cache/router/examples.bin")
  }

  @Test(arguments: [
    ("  type: bert", "classifier.type", 7, "must be one of lexical, embedding"),
    ("  type: embedding", "classifier.model_path", 7, "required with type: embedding"),
    ("  cascade_confidence: 1.5", "classifier.cascade_confidence", 7, "between 0.0 and 1.0"),
    ("  on_overload: drop", "classifier.on_overload", 7, "must be one of lexical, reject"),
    ("  precision: fp16", "classifier.precision", 7, "must be one of f32, int8"),
    ("  inference_threads: -1", "classifier.inference_threads", 7, "between 0 and 256"),
    ("  queue_capacity: 0", "classifier.queue_capacity", 7, "between 1 and"),
    ("  vector_cache_entries: many", "classifier.vector_cache_entries", 7, "expected an integer"),
    ("  model_path: \"\"", "classifier.model_path", 7, "empty"),
    ("  model_paht: /m", "classifier.model_paht", 7, "model_path"),
  ])
  func badValue_isReportedWithKeyAndLine(
    section: String, key: String, line: Int, message: String
  ) {
    let found = issues(section)
    #expect(found.count == 1, "\(found)")
    let issue = found.first
    #expect(issue?.path == key)
    #expect(issue?.line == line)
    #expect(issue?.message.contains(message) == true, "\(issue?.message ?? "")")
  }
}
