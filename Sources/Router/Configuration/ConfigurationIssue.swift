/// One problem found in a router configuration file, located by key path and line.
public struct ConfigurationIssue: Sendable, Equatable, CustomStringConvertible {
  /// The key path of the offending value, e.g. `models[1].endpoints[0].address`.
  public var path: String
  /// 1-based line of the offending key or value, when known.
  public var line: Int?
  /// 1-based column, when known.
  public var column: Int?
  /// What is wrong, in words a user can act on.
  public var message: String

  public init(path: String, line: Int?, column: Int?, message: String) {
    self.path = path
    self.line = line
    self.column = column
    self.message = message
  }

  /// `line 12, column 5: models[0].endpoints: a model needs at least one endpoint`.
  public var description: String {
    var location = ""
    if let line {
      location = "line \(line)"
      if let column { location += ", column \(column)" }
      location += ": "
    }
    return location + (path.isEmpty ? "" : "\(path): ") + message
  }
}

/// Every problem found while loading a router configuration (not only the first).
public struct RouterConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The file (or source name) the problems were found in.
  public var source: String
  /// The problems, in document order as far as they were found in it.
  public var issues: [ConfigurationIssue]

  public init(source: String, issues: [ConfigurationIssue]) {
    self.source = source
    self.issues = issues
  }

  /// One line per problem, each prefixed with the source: `router-config.yaml: line 3: ...`.
  public var description: String {
    issues.map { "\(source): \($0)" }.joined(separator: "\n")
  }
}
