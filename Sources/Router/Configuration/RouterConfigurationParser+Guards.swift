import Yams

/// `guards:` and `models[].guards`, reported like every other section (key path and line).
extension RouterConfigurationParser {
  /// A model's `guards: {pii: …, jailbreak: …}` override, as optional actions.
  struct ModelGuardOverride {
    var pii: PIIAction?
    var jailbreak: JailbreakAction?
  }

  func parseModelGuards(_ node: Node, at path: String) -> ModelGuardOverride? {
    guard let fields = reader.mapping(node, at: path, keys: ["pii", "jailbreak"]) else {
      return nil
    }
    var result = ModelGuardOverride()
    if let node = fields["pii"] {
      result.pii = action(node, at: "\(path).pii", as: PIIAction.self)
    }
    if let node = fields["jailbreak"] {
      result.jailbreak = action(node, at: "\(path).jailbreak", as: JailbreakAction.self)
    }
    return result
  }

  /// The top-level `guards:` section with the models' overrides folded in; nil when neither
  /// the section nor any override exists (then no guard runs).
  func parseGuards(
    _ node: Node?, overrides: [(model: String, ModelGuardOverride)]
  ) -> GuardSettings? {
    guard node != nil || !overrides.isEmpty else { return nil }
    var settings = GuardSettings()
    var jailbreakNode: Node?
    if let node, let fields = reader.mapping(node, at: "guards", keys: ["pii", "jailbreak"]) {
      if let pii = fields["pii"] { parsePII(pii, into: &settings) }
      if let jailbreak = fields["jailbreak"] {
        jailbreakNode = jailbreak
        parseJailbreak(jailbreak, into: &settings)
      }
    }
    for (model, override) in overrides {
      settings.modelPolicies[model] = GuardPolicy(
        pii: override.pii ?? settings.defaultPolicy.pii,
        jailbreak: override.jailbreak ?? settings.defaultPolicy.jailbreak)
    }
    if settings.scoresJailbreaks,
      settings.attackExamples.isEmpty || settings.benignExamples.isEmpty
    {
      reader.fail(
        "guards.jailbreak", jailbreakNode ?? node,
        "jailbreak detection needs training examples: set attack_examples_file and "
          + "benign_examples_file")
    }
    return settings
  }

  private func parsePII(_ node: Node, into settings: inout GuardSettings) {
    guard let fields = reader.mapping(node, at: "guards.pii", keys: ["action", "types"]) else {
      return
    }
    if let node = fields["action"],
      let action = action(node, at: "guards.pii.action", as: PIIAction.self)
    {
      settings.defaultPolicy.pii = action
    }
    if let node = fields["types"], let names = reader.stringList(node, at: "guards.pii.types") {
      var types: [PIIType] = []
      for name in names {
        if let type = PIIType(rawValue: name) {
          types.append(type)
        } else {
          let known = PIIType.allCases.map(\.rawValue).joined(separator: ", ")
          reader.fail("guards.pii.types", node, "unknown PII type '\(name)'; known: \(known)")
        }
      }
      settings.piiTypes = PIITypeSet(types)
    }
  }

  private func parseJailbreak(_ node: Node, into settings: inout GuardSettings) {
    let keys = [
      "action", "threshold", "max_scan_bytes", "attack_examples_file", "benign_examples_file",
    ]
    guard let fields = reader.mapping(node, at: "guards.jailbreak", keys: keys) else { return }
    if let node = fields["action"],
      let action = action(node, at: "guards.jailbreak.action", as: JailbreakAction.self)
    {
      settings.defaultPolicy.jailbreak = action
    }
    if let node = fields["threshold"],
      let value = reader.double(node, at: "guards.jailbreak.threshold", in: 0.01...1)
    {
      settings.jailbreakThreshold = value
    }
    if let node = fields["max_scan_bytes"],
      let value = reader.int(node, at: "guards.jailbreak.max_scan_bytes", in: 0...(1 << 30))
    {
      settings.jailbreakMaxScanBytes = value
    }
    for (key, isAttack) in [("attack_examples_file", true), ("benign_examples_file", false)] {
      let path = "guards.jailbreak.\(key)"
      guard let node = fields[key], let files = reader.stringOrStringList(node, at: path) else {
        continue
      }
      let examples = files.flatMap { readExamples($0, node: node, at: path) }
      if isAttack {
        settings.attackExamples += examples
      } else {
        settings.benignExamples += examples
      }
    }
  }

  /// One of an enumeration's raw values, else an issue listing them.
  func action<Action: RawRepresentable & CaseIterable>(
    _ node: Node, at path: String, as: Action.Type
  ) -> Action? where Action.RawValue == String {
    guard let text = reader.string(node, at: path) else { return nil }
    if let action = Action(rawValue: text) { return action }
    let allowed = Action.allCases.map(\.rawValue).joined(separator: ", ")
    reader.fail(path, node, "must be one of \(allowed), found '\(text)'")
    return nil
  }
}
