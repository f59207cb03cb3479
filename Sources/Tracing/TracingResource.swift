#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The OTLP resource of this process: who is sending the spans.
///
/// `service.name`, `service.version`, `deployment.environment.name` (when set), `host.name`,
/// `process.pid`, `telemetry.sdk.{name,language,version}`, then the configured extra
/// attributes (from `OTEL_RESOURCE_ATTRIBUTES`), which override detected ones.
public enum TracingResource {
  /// The resource attributes for `configuration`, in a stable order.
  public static func attributes(
    for configuration: TracingConfiguration, hostName: String = currentHostName(),
    processID: Int = Int(getpid())
  ) -> [SpanAttribute] {
    var attributes: [SpanAttribute] = [
      SpanAttribute("service.name", .string(configuration.serviceName)),
      SpanAttribute("service.version", .string(configuration.serviceVersion)),
    ]
    if let environment = configuration.deploymentEnvironment {
      attributes.append(SpanAttribute("deployment.environment.name", .string(environment)))
    }
    attributes += [
      SpanAttribute("host.name", .string(hostName)),
      SpanAttribute("process.pid", .int(Int64(processID))),
      SpanAttribute("telemetry.sdk.name", "semantic-router"),
      SpanAttribute("telemetry.sdk.language", "swift"),
      SpanAttribute("telemetry.sdk.version", .string(TracingConfiguration.defaultServiceVersion)),
    ]
    for (key, value) in configuration.resourceAttributes.sorted(by: { $0.key < $1.key }) {
      if let i = attributes.firstIndex(where: { $0.key == key }) {
        attributes[i].value = .string(value)
      } else {
        attributes.append(SpanAttribute(key, .string(value)))
      }
    }
    return attributes
  }

  /// This machine's host name (`gethostname`).
  public static func currentHostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
