import Router
import Testing

/// `guards:` and `models[].guards`: values, defaults, per-model policies, and every problem
/// reported with its key path and line.
@Suite struct GuardConfigurationTests {
  private static let models = """
    models:
      - name: big
        category: general
        endpoints: [{ name: b, address: "http://h:1" }]
        guards: {pii: block, jailbreak: flag}
      - name: small
        category: general
        endpoints: [{ name: s, address: "http://h:2" }]
    default_model: small

    """

  private static var examples: String {
    """
        attack_examples_file: "\(Repository.path("deploy/classifier/jailbreak/attacks.txt"))"
        benign_examples_file: "\(Repository.path("deploy/classifier/jailbreak/benign.txt"))"
    """
  }

  @Test func guards_areReadWithPerModelOverrides() throws {
    let configuration = try RouterConfiguration.parse(
      yaml: Self.models + """
        guards:
          pii:
            action: redact
            types: [email, card]
          jailbreak:
            action: "off"
            threshold: 0.9
            max_scan_bytes: 0
        \(Self.examples)
        """)
    let guards = try #require(configuration.guards)
    #expect(guards.defaultPolicy == GuardPolicy(pii: .redact, jailbreak: .off))
    #expect(guards.policy(forModel: "big") == GuardPolicy(pii: .block, jailbreak: .flag))
    #expect(guards.policy(forModel: "small") == guards.defaultPolicy)
    #expect(guards.policy(forModel: "unknown") == guards.defaultPolicy)
    #expect(guards.piiTypes == PIITypeSet([.email, .card]))
    #expect(guards.jailbreakThreshold == 0.9)
    #expect(guards.jailbreakMaxScanBytes == 0)
    #expect(!guards.attackExamples.isEmpty && !guards.benignExamples.isEmpty)
    #expect(!guards.isUniform)
  }

  @Test func noGuardsSection_meansNoGuards_andAnEmptySectionMeansTheDefaults() throws {
    let none = try RouterConfiguration.parse(
      yaml: Self.models.replacingOccurrences(
        of: "    guards: {pii: block, jailbreak: flag}\n", with: ""))
    #expect(none.guards == nil)
    let defaults = try RouterConfiguration.parse(
      yaml: Self.models.replacingOccurrences(of: "jailbreak: flag", with: "jailbreak: \"off\"")
        + "guards: {}\n")
    let guards = try #require(defaults.guards)
    #expect(guards.defaultPolicy == GuardPolicy(pii: .allow, jailbreak: .off))
    #expect(guards.piiTypes == .all)
    #expect(guards.jailbreakThreshold == GuardSettings.defaultJailbreakThreshold)
    #expect(guards.jailbreakMaxScanBytes == 4096)
  }

  @Test func badGuardSettings_areReportedWithKeyAndLine() {
    let found = configurationIssues(
      Self.models.replacingOccurrences(of: "pii: block", with: "pii: mask") + """
        guards:
          pii:
            action: hide
            types: [email, passport]
          jailbreak:
            action: warn
            threshold: 1.5
            colour: red
        """)
    func issue(_ path: String) -> ConfigurationIssue? { found.first { $0.path == path } }
    #expect(issue("models[0].guards.pii")?.line == 5)
    #expect(issue("models[0].guards.pii")?.message.contains("allow, block, redact") == true)
    #expect(issue("guards.pii.action")?.line == 12)
    #expect(issue("guards.pii.types")?.message.contains("unknown PII type 'passport'") == true)
    #expect(issue("guards.jailbreak.action")?.line == 15)
    #expect(issue("guards.jailbreak.threshold")?.line == 16)
    #expect(issue("guards.jailbreak.colour")?.line == 17)
    // The model's `jailbreak: flag` needs training examples, which are missing.
    #expect(found.contains { $0.path == "guards.jailbreak" && $0.message.contains("examples") })
  }

  @Test func missingExamplesFile_isReported() {
    let found = configurationIssues(
      Self.models + """
        guards:
          jailbreak:
            action: block
            attack_examples_file: "/nonexistent/attacks.txt"
            benign_examples_file: "/nonexistent/benign.txt"
        """)
    #expect(found.contains { $0.path == "guards.jailbreak.attack_examples_file" && $0.line == 13 })
    #expect(found.contains { $0.path == "guards.jailbreak.benign_examples_file" && $0.line == 14 })
  }

  @Test func shippedConfiguration_redactsPII_andFlagsJailbreaks() throws {
    let configuration = try RouterConfiguration.load(path: Repository.defaultConfigPath)
    let guards = try #require(configuration.guards)
    #expect(guards.defaultPolicy == GuardPolicy(pii: .redact, jailbreak: .flag))
    #expect(guards.piiTypes == .all)
    #expect(guards.isUniform)
  }
}
