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

  @Option(help: "With server.tls: PEM CAs Envoy trusts for the router's certificate.")
  var routerCaFile: String?

  @Option(help: "With server.tls.client_ca_file: PEM certificate Envoy presents to the router.")
  var routerClientCert: String?

  @Option(help: "Key of --router-client-cert.")
  var routerClientKey: String?

  @Option(help: "With server.tls: name the router's certificate carries (default: its host).")
  var routerServerName: String?

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
    let configuration = try config.load()
    if let tls = configuration.server.tls {
      options.extProcTLS = try extProcTLS(clientCertificateRequired: tls.clientCAFile != nil)
    }
    let generator = EnvoyConfigGenerator(configuration: configuration, options: options)
    print(generator.yaml(), terminator: "")
  }

  /// Envoy's TLS files for a router with `server.tls`; a client certificate when the router
  /// requires one.
  private func extProcTLS(
    clientCertificateRequired: Bool
  ) throws -> EnvoyConfigGenerator.ExtProcTLS {
    guard let routerCaFile else {
      throw ValidationError("the router config sets server.tls: pass --router-ca-file")
    }
    guard (routerClientCert == nil) == (routerClientKey == nil) else {
      throw ValidationError("--router-client-cert and --router-client-key go together")
    }
    if clientCertificateRequired && routerClientCert == nil {
      throw ValidationError(
        "the router config sets server.tls.client_ca_file: pass --router-client-cert and "
          + "--router-client-key")
    }
    return EnvoyConfigGenerator.ExtProcTLS(
      caFile: routerCaFile, clientCertificateFile: routerClientCert,
      clientKeyFile: routerClientKey, serverName: routerServerName)
  }
}
