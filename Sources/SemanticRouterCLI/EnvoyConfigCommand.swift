import ArgumentParser
import Router

/// `semantic-router envoy-config`: the Envoy bootstrap that matches a router config.
struct EnvoyConfigCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "envoy-config",
    abstract: "Print the Envoy bootstrap YAML (listener, ext_proc filter, one cluster per endpoint)."
  )

  @OptionGroup var config: ConfigOption

  @Option(help: "Where Envoy listens for clients, HOST:PORT.")
  var listen = HostAndPort(host: "0.0.0.0", port: 8000)

  @Option(help: "The router's ext_proc address, HOST:PORT.")
  var router = HostAndPort(host: "127.0.0.1", port: 50051)

  @Option(help: "The router's admin address (Envoy routes /health there), HOST:PORT.")
  var routerAdmin = HostAndPort(host: "127.0.0.1", port: 8080)

  @Option(help: "Envoy's own admin port on 127.0.0.1.")
  var envoyAdminPort = 9901

  @Option(help: "Turn on Envoy's OpenTelemetry tracer, exporting OTLP/gRPC to HOST:PORT.")
  var tracingCollector: HostAndPort?

  func run() throws {
    var options = EnvoyConfigGenerator.Options()
    options.listenAddress = listen.host
    options.listenPort = listen.port
    options.extProcHost = router.host
    options.extProcPort = router.port
    options.routerAdminHost = routerAdmin.host
    options.routerAdminPort = routerAdmin.port
    options.envoyAdminPort = envoyAdminPort
    if let collector = tracingCollector {
      options.tracing = .init(collectorHost: collector.host, collectorPort: collector.port)
    }
    print(EnvoyConfigGenerator(configuration: try config.load(), options: options).yaml(), terminator: "")
  }
}
