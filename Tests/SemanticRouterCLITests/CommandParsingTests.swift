import ArgumentParser
import Testing

@testable import SemanticRouterCLI

/// The command line parsed in process: subcommands, defaults and the errors for bad input.
@Suite struct CommandParsingTests {
  @Test func noSubcommand_meansServe_withItsDefaults() throws {
    for arguments in [[], ["serve"]] {
      let serve = try #require(
        try SemanticRouterCommand.parseAsRoot(arguments) as? ServeCommand)
      #expect(serve.config == nil)
      #expect(serve.listen.description == "127.0.0.1:50051")
      #expect(serve.admin.description == "127.0.0.1:8080")
      #expect(serve.threads == nil)
      #expect(serve.drainTimeout == 15)
      #expect(serve.maxMessageBytes == 4 << 20)
    }
  }

  @Test func serveOptions_areParsed() throws {
    let serve = try #require(
      try SemanticRouterCommand.parseAsRoot([
        "serve", "--config", "router.yaml", "--listen", "[::1]:6000", "--admin", "127.0.0.1:0",
        "--threads", "2", "--drain-timeout", "0.5", "--max-message-bytes", "1024",
      ]) as? ServeCommand)
    #expect(serve.config == "router.yaml")
    #expect(serve.listen.host == "::1")
    #expect(serve.listen.port == 6000)
    #expect(serve.listen.description == "[::1]:6000")
    #expect(serve.admin.description == "127.0.0.1:0")
    #expect(serve.threads == 2)
    #expect(serve.drainTimeout == 0.5)
    #expect(serve.maxMessageBytes == 1024)
  }

  @Test(arguments: [
    ["serve", "--threads", "0"],
    ["serve", "--drain-timeout", "-1"],
    ["serve", "--listen", "50051"],
    ["serve", "--listen", ":50051"],
    ["serve", "--admin", "localhost:70000"],
    ["serve", "--no-such-flag"],
    ["validate"],
    ["classify", "--config", "router.yaml"],
    ["no-such-command"],
  ])
  func badArguments_areUsageErrors(arguments: [String]) {
    #expect(throws: (any Error).self) { try SemanticRouterCommand.parseAsRoot(arguments) }
    #expect(SemanticRouterCommand.exitCode(for: parseError(arguments)) == .validationFailure)
  }

  @Test func classify_joinsTheQueryWords() throws {
    let classify = try #require(
      try SemanticRouterCommand.parseAsRoot([
        "classify", "--config", "router.yaml", "--json", "solve", "2x = 4",
      ]) as? ClassifyCommand)
    #expect(classify.config.config == "router.yaml")
    #expect(classify.json)
    #expect(classify.text == ["solve", "2x = 4"])
  }

  @Test func envoyConfig_defaultsMatchTheServeDefaults() throws {
    let command = try #require(
      try SemanticRouterCommand.parseAsRoot(["envoy-config", "--config", "router.yaml"])
        as? EnvoyConfigCommand)
    #expect(command.listen.description == "0.0.0.0:8000")
    #expect(command.router.description == "127.0.0.1:50051")
    #expect(command.routerAdmin.description == "127.0.0.1:8080")
    #expect(command.envoyAdminPort == 9901)
    #expect(command.tracingCollector == nil)
  }

  private func parseError(_ arguments: [String]) -> any Error {
    do {
      _ = try SemanticRouterCommand.parseAsRoot(arguments)
    } catch {
      return error
    }
    return CancellationError()
  }
}
