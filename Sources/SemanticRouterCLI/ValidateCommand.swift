import ArgumentParser
import Router

/// `semantic-router validate`: checks a router config and reports every problem.
struct ValidateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Check a router config; print each problem with its key and line."
  )

  @OptionGroup var config: ConfigOption

  func run() throws {
    let configuration = try config.load()
    let endpoints = configuration.models.reduce(0) { $0 + $1.endpoints.count }
    print(
      "\(config.config): OK (\(configuration.models.count) models, \(endpoints) endpoints, "
        + "\(configuration.categories.count) categories)")
  }
}
