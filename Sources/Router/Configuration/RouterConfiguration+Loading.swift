import Foundation
import Yams

extension RouterConfiguration {
  /// Reads and validates the YAML file at `path`.
  ///
  /// `examples_file` paths are relative to the file's directory. Throws every problem found
  /// (syntax, unknown keys, wrong types, dangling references), each with its key path and line.
  public static func load(path: String) throws(RouterConfigurationError) -> RouterConfiguration {
    let text: String
    do {
      text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      let issue = ConfigurationIssue(
        path: "", line: nil, column: nil, message: "cannot read the file (\(error))")
      throw RouterConfigurationError(source: path, issues: [issue])
    }
    let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
    return try parse(yaml: text, source: path, baseDirectory: directory)
  }

  /// Parses and validates YAML text; `source` names it in errors and `baseDirectory` anchors
  /// relative `examples_file` paths.
  public static func parse(
    yaml: String, source: String = "router-config.yaml", baseDirectory: String = "."
  ) throws(RouterConfigurationError) -> RouterConfiguration {
    let root: Node?
    do {
      root = try Yams.compose(yaml: yaml)
    } catch {
      throw RouterConfigurationError(source: source, issues: [Self.issue(fromYAMLError: error)])
    }
    let parser = RouterConfigurationParser(baseDirectory: baseDirectory)
    guard let configuration = parser.parse(root: root), parser.issues.isEmpty else {
      throw RouterConfigurationError(source: source, issues: parser.issues)
    }
    return configuration
  }

  private static func issue(fromYAMLError error: any Error) -> ConfigurationIssue {
    guard let yamlError = error as? YamlError else {
      return ConfigurationIssue(path: "", line: nil, column: nil, message: "\(error)")
    }
    switch yamlError {
    case .scanner(let context, let problem, let mark, _),
      .parser(let context, let problem, let mark, _),
      .composer(let context, let problem, let mark, _):
      let detail = context.map { "\($0.text) " } ?? ""
      return ConfigurationIssue(
        path: "", line: mark.line, column: mark.column, message: "invalid YAML: \(detail)\(problem)"
      )
    default:
      return ConfigurationIssue(path: "", line: nil, column: nil, message: "invalid YAML: \(error)")
    }
  }
}
