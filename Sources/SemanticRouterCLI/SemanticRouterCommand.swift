import ArgumentParser

/// The `semantic-router` command line: serve, and the tools around the router config.
@main
struct SemanticRouterCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "semantic-router",
    abstract: "An Envoy ext_proc sidecar that routes LLM requests and traces them.",
    version: BuildInfo.version,
    subcommands: [
      ServeCommand.self, ValidateCommand.self, ClassifyCommand.self, EnvoyConfigCommand.self,
      TraceViewCommand.self, EmbedCommand.self,
    ],
    defaultSubcommand: ServeCommand.self
  )
}
