import Testing
import Transport

@testable import Tracing

/// When an exporter uses TLS, and which files it trusts, per the OTLP exporter spec.
@Suite struct TracingConfigurationTLSTests {
  typealias Exporter = TracingConfiguration.Exporter

  @Test(arguments: [
    // gRPC: the scheme decides; without one, `insecure` does.
    (Exporter(type: .otlp, endpoint: "collector:4317", insecure: true), nil),
    (Exporter(type: .otlp, endpoint: "collector:4317", insecure: false), "h2"),
    (Exporter(type: .otlp, endpoint: "https://collector:4317", insecure: true), "h2"),
    (Exporter(type: .otlp, endpoint: "HTTPS://collector:4317", insecure: true), "h2"),
    (Exporter(type: .otlp, endpoint: "http://collector:4317", insecure: false), nil),
    (Exporter(type: .otlp, insecure: false), "h2"),
    // HTTP: only the scheme counts.
    (Exporter(type: .otlpHTTP, endpoint: "https://collector:4318", insecure: true), "http/1.1"),
    (Exporter(type: .otlpHTTP, endpoint: "http://collector:4318", insecure: false), nil),
    (Exporter(type: .otlpHTTP, insecure: false), nil),
    (Exporter(type: .stdout, insecure: false), nil),
  ] as [(Exporter, String?)])
  func tlsConfiguration_followsTheSchemeThenInsecure(exporter: Exporter, alpn: String?) {
    #expect(exporter.tlsConfiguration?.alpnProtocols.first == alpn)
  }

  @Test func tlsConfiguration_carriesTheCAFileAndClientCertificate() throws {
    let exporter = Exporter(
      type: .otlpHTTP, endpoint: "https://collector:4318", caFile: "/etc/otel/ca.pem",
      clientCertificateFile: "/etc/otel/client.pem", clientKeyFile: "/etc/otel/client.key")
    let tls = try #require(exporter.tlsConfiguration)
    #expect(
      tls
        == TLSConfiguration(
          caFile: "/etc/otel/ca.pem", alpnProtocols: ["http/1.1"],
          clientCertificateFile: "/etc/otel/client.pem", clientKeyFile: "/etc/otel/client.key"))
    #expect(tls.verifyPeer)
  }

  @Test func environment_setsTheCertificateFiles_signalSpecificFirst() {
    let c = TracingConfiguration(exporter: .init(caFile: "/from/yaml.pem")).applyingEnvironment([
      "OTEL_EXPORTER_OTLP_CERTIFICATE": "/general/ca.pem",
      "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE": "/traces/ca.pem",
      "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE": "/general/client.pem",
      "OTEL_EXPORTER_OTLP_CLIENT_KEY": "/general/client.key",
      "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY": " ",
    ])
    #expect(c.exporter.caFile == "/traces/ca.pem")
    #expect(c.exporter.clientCertificateFile == "/general/client.pem")
    #expect(c.exporter.clientKeyFile == "/general/client.key")
    let untouched = TracingConfiguration(exporter: .init(caFile: "/from/yaml.pem"))
      .applyingEnvironment([:])
    #expect(untouched.exporter.caFile == "/from/yaml.pem")
  }
}
