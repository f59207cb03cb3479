import ArgumentParser
import Router

/// The `--config FILE` option shared by the commands that read a router config.
struct ConfigOption: ParsableArguments {
  @Option(name: .long, help: "Router config YAML (see deploy/router-config.yaml).")
  var config: String

  /// Loads and validates the file; on problems prints each (with key path and line) to stderr
  /// and exits non-zero.
  func load() throws -> RouterConfiguration {
    do {
      return try RouterConfiguration.load(path: config)
    } catch {
      StandardError.write("\(error)\n")
      throw ExitCode(2)
    }
  }
}
