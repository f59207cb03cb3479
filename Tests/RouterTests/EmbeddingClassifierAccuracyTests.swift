import Foundation
import Router
import Testing

/// The lexical classifier, the embedding classifier alone (keyword rules, then the model) and
/// the cascade (keyword rules, the lexical classifier when its confidence is at least
/// `cascade_confidence`, else the model), side by side on the held-out test set and on the
/// indirect set (questions without their category's obvious words). `scripts/classifier-accuracy`
/// runs this suite and shows its report; `CLASSIFIER_SWEEP=1` adds the validation-set sweep
/// that chose the default `cascade_confidence`.
@Suite(.enabled(if: EmbeddingTestModel.isAvailable, "needs the all-MiniLM-L6-v2 model folder"))
struct EmbeddingClassifierAccuracyTests {
  /// A few points under what was measured (README, "Routing with embeddings"), so a regression
  /// fails while run-to-run float differences do not.
  static let floors = [
    "deploy/classifier/testset.tsv": 0.96, "deploy/classifier/testset-indirect.tsv": 0.92,
  ]

  private struct Labeled {
    var category: String
    var question: String
  }

  private static func load(_ relative: String) throws -> [Labeled] {
    let text = try String(contentsOfFile: Repository.path(relative), encoding: .utf8)
    return try text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
      let fields = line.split(separator: "\t", maxSplits: 1).map(String.init)
      try #require(fields.count == 2, "bad test line: \(line)")
      return Labeled(category: fields[0], question: fields[1])
    }
  }

  /// Routers sharing one embedding classifier (and so its vector cache): each query is
  /// embedded once whatever the number of routers.
  private static func routers(
    cascades: [Double], cacheDirectory: String
  ) throws -> (lexical: SemanticRouter, modelOnly: SemanticRouter, cascades: [SemanticRouter]) {
    var base = try EmbeddingTestModel.shippedConfiguration(
      cascadeConfidence: 1, cacheDirectory: cacheDirectory)
    base.classifier.vectorCacheEntries = 1 << 14
    let modelOnly = SemanticRouter(configuration: base)
    var lexicalConfiguration = base
    lexicalConfiguration.classifier.kind = .lexical
    let cascadeRouters = cascades.map { confidence in
      var configuration = base
      configuration.classifier.cascadeConfidence = confidence
      return SemanticRouter(configuration: configuration, reusingCacheOf: modelOnly)
    }
    return (SemanticRouter(configuration: lexicalConfiguration), modelOnly, cascadeRouters)
  }

  private struct Tally {
    var right = 0
    var total = 0
    var reachedModel = 0
    var accuracy: Double { Double(right) / Double(max(total, 1)) }
    var modelShare: Double { Double(reachedModel) / Double(max(total, 1)) }

    mutating func count(_ classification: Classification, expected: String) {
      total += 1
      if classification.category == expected { right += 1 }
      if let run = classification.modelRun, run.outcome == .inferred || run.outcome == .vectorCacheHit
      {
        reachedModel += 1
      }
    }
  }

  private static func percent(_ value: Double) -> String { String(format: "%5.1f%%", 100 * value) }

  @Test(arguments: ["deploy/classifier/testset.tsv", "deploy/classifier/testset-indirect.tsv"])
  func embeddingClassifier_onTestSet_staysAboveItsFloor(_ testSet: String) throws {
    let directory = EmbeddingTestModel.sharedCacheDirectory
    let labeled = try Self.load(testSet)
    let (lexical, modelOnly, cascades) = try Self.routers(
      cascades: [ClassifierSettings.defaultCascadeConfidence], cacheDirectory: directory)
    let cascade = cascades[0]
    var int8Configuration = modelOnly.configuration
    int8Configuration.classifier.precision = .int8
    let int8 = SemanticRouter(configuration: int8Configuration)
    var tallies = (lexical: Tally(), model: Tally(), int8: Tally(), cascade: Tally())
    var mistakes: [String] = []
    for item in labeled {
      let request = EmbeddingTestModel.request(item.question)
      tallies.lexical.count(lexical.classify(request), expected: item.category)
      let model = modelOnly.classify(request)
      tallies.model.count(model, expected: item.category)
      tallies.int8.count(int8.classify(request), expected: item.category)
      tallies.cascade.count(cascade.classify(request), expected: item.category)
      if model.category != item.category {
        mistakes.append(
          "  expected \(item.category), model said \(model.category) (\(model.method.rawValue) "
            + String(format: "%.2f", model.confidence) + "): \(item.question)")
      }
    }
    let cascadeName = "cascade \(ClassifierSettings.defaultCascadeConfidence)"
    print(
      """
      embedding classifier accuracy on \(testSet) (\(labeled.count) questions):
        lexical              \(Self.percent(tallies.lexical.accuracy))
        embedding (model)    \(Self.percent(tallies.model.accuracy))
        embedding, int8      \(Self.percent(tallies.int8.accuracy))
        \(cascadeName.padding(toLength: 20, withPad: " ", startingAt: 0)) \
      \(Self.percent(tallies.cascade.accuracy))   reaching the model: \
      \(Self.percent(tallies.cascade.modelShare))
      """)
    if !mistakes.isEmpty { print("model mistakes:\n" + mistakes.joined(separator: "\n")) }
    #expect(tallies.model.accuracy >= Self.floors[testSet]!)
    #expect(tallies.int8.accuracy >= Self.floors[testSet]!)
  }

  /// The sweep behind the default `cascade_confidence`, on the tuning set only.
  @Test(.enabled(if: ProcessInfo.processInfo.environment["CLASSIFIER_SWEEP"] != nil))
  func cascadeConfidence_sweptOnValidationSet() throws {
    let directory = EmbeddingTestModel.sharedCacheDirectory
    let labeled = try Self.load("deploy/classifier/validation.tsv")
    let confidences = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99]
    let (lexical, modelOnly, cascades) = try Self.routers(
      cascades: confidences, cacheDirectory: directory)
    var lexicalTally = Tally()
    var modelTally = Tally()
    var cascadeTallies = [Tally](repeating: Tally(), count: confidences.count)
    for item in labeled {
      let request = EmbeddingTestModel.request(item.question)
      lexicalTally.count(lexical.classify(request), expected: item.category)
      modelTally.count(modelOnly.classify(request), expected: item.category)
      for index in cascades.indices {
        cascadeTallies[index].count(cascades[index].classify(request), expected: item.category)
      }
    }
    var lines = ["cascade sweep on deploy/classifier/validation.tsv (\(labeled.count) questions):"]
    lines.append("  lexical            \(Self.percent(lexicalTally.accuracy))")
    lines.append("  embedding (model)  \(Self.percent(modelTally.accuracy))")
    for (confidence, tally) in zip(confidences, cascadeTallies) {
      lines.append(
        "  cascade \(String(format: "%.2f", confidence))       \(Self.percent(tally.accuracy))"
          + "   reaching the model: \(Self.percent(tally.modelShare))")
    }
    print(lines.joined(separator: "\n"))
  }
}
