import Foundation
import Router
import Testing

/// The shipped jailbreak guard (`deploy/router-config.yaml`'s examples and threshold) against
/// the held-out set `deploy/classifier/jailbreak/testset.tsv` (attempts and benign prompts
/// never used in training), and its false positive rate on the category test set
/// `deploy/classifier/testset.tsv` (ordinary questions). `scripts/jailbreak-accuracy` runs
/// this suite and shows its report; `JAILBREAK_TEST_SET` and `JAILBREAK_QUESTION_SET` name
/// other files (the tuning sets, `scripts/jailbreak-accuracy --validation`).
@Suite struct JailbreakAccuracyTests {
  /// The goal for false positives on ordinary questions.
  static let falsePositiveGoal = 0.01

  @Test func shippedJailbreakGuard_onHeldOutSets_reportsAccuracyAndFalsePositives() throws {
    let configuration = try RouterConfiguration.load(path: Repository.defaultConfigPath)
    let settings = try #require(configuration.guards)
    let scorer = LexicalPromptInjectionScorer(
      attacks: settings.attackExamples, benign: settings.benignExamples)
    let threshold = settings.jailbreakThreshold

    let environment = ProcessInfo.processInfo.environment
    let testSet = environment["JAILBREAK_TEST_SET"] ?? "deploy/classifier/jailbreak/testset.tsv"
    let questionSet = environment["JAILBREAK_QUESTION_SET"] ?? "deploy/classifier/testset.tsv"
    var counts: [String: (right: Int, all: Int)] = [:]
    var mistakes: [String] = []
    var scored: [(label: String, score: Double)] = []
    for (label, prompt) in try Self.rows(testSet) {
      let score = scorer.score(prompt)
      scored.append((label, score))
      let flagged = score >= threshold
      let right = flagged == (label == "attack")
      counts[label, default: (0, 0)].all += 1
      if right {
        counts[label, default: (0, 0)].right += 1
      } else {
        mistakes.append("  \(label) scored \(String(format: "%.3f", score)): \(prompt)")
      }
    }
    var falsePositives: [String] = []
    let questions = try Self.rows(questionSet)
    var questionScores: [Double] = []
    for (_, question) in questions {
      let score = scorer.score(question)
      questionScores.append(score)
      if score >= threshold {
        falsePositives.append("  scored \(String(format: "%.3f", score)): \(question)")
      }
    }

    let attacks = try #require(counts["attack"])
    let benign = try #require(counts["benign"])
    let accuracy = Double(attacks.right + benign.right) / Double(attacks.all + benign.all)
    let falsePositiveRate = Double(falsePositives.count) / Double(questions.count)
    func percent(_ right: Int, _ all: Int) -> String {
      "\(right)/\(all) " + String(format: "%.1f%%", 100 * Double(right) / Double(all))
    }
    var report = ["jailbreak guard (lexical, threshold \(threshold)) on \(testSet):"]
    report.append("  attempts detected     \(percent(attacks.right, attacks.all))")
    report.append("  benign passed         \(percent(benign.right, benign.all))")
    report.append(
      "  accuracy              \(percent(attacks.right + benign.right, attacks.all + benign.all))"
    )
    report.append(
      "  false positives on \(questionSet)  " + percent(falsePositives.count, questions.count))
    report.append("  by threshold: detected / benign passed / false positives on questions")
    for candidate in stride(from: 0.5, through: 0.951, by: 0.05) {
      let detected = scored.filter { $0.label == "attack" && $0.score >= candidate }.count
      let passed = scored.filter { $0.label == "benign" && $0.score < candidate }.count
      let wrong = questionScores.filter { $0 >= candidate }.count
      report.append(
        String(format: "    %.2f  %d/%d  %d/%d  %d/%d", candidate, detected, attacks.all,
          passed, benign.all, wrong, questions.count))
    }
    if !mistakes.isEmpty { report.append("misjudged (held-out set):") }
    report += mistakes
    if !falsePositives.isEmpty { report.append("false positives (category test set):") }
    report += falsePositives
    print(report.joined(separator: "\n"))

    #expect(attacks.all >= 100 && benign.all >= 100)
    // Measured once on these sets after writing them (see the README's guard figures).
    #expect(accuracy >= 0.85)
    #expect(falsePositiveRate <= Self.falsePositiveGoal)
  }

  /// The (label, text) rows of a TSV file, comments skipped.
  static func rows(_ relativePath: String) throws -> [(String, String)] {
    let text = try String(contentsOfFile: Repository.path(relativePath), encoding: .utf8)
    return try text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
      let fields = line.split(separator: "\t", maxSplits: 1).map(String.init)
      try #require(fields.count == 2, "bad test line: \(line)")
      return (fields[0], fields[1])
    }
  }
}
