/// An `http://host:port/path` URL, as the OTLP/HTTP exporter needs it.
struct OTLPEndpoint: Sendable, Hashable {
  var scheme: String
  var host: String
  var port: Int
  /// The request target, starting with `/`.
  var path: String

  /// The path OTLP/HTTP uses for traces.
  static let tracesPath = "/v1/traces"

  /// Parses `url`; a missing path becomes `/v1/traces`.
  init(url: String) throws(TracingConfigurationError) {
    guard let schemeEnd = url.range(of: "://") else {
      throw TracingConfigurationError(.invalidEndpoint, "\(url): expected http://host:port")
    }
    scheme = url[..<schemeEnd.lowerBound].lowercased()
    guard scheme == "http" || scheme == "https" else {
      throw TracingConfigurationError(.invalidEndpoint, "\(url): scheme must be http or https")
    }
    let rest = url[schemeEnd.upperBound...]
    let authority = rest.prefix { $0 != "/" && $0 != "?" }
    let target = rest[authority.endIndex...]
    path = target.isEmpty ? Self.tracesPath : String(target)
    (host, port) = try Self.hostAndPort(
      of: Substring(authority), in: url, defaultPort: scheme == "https" ? 443 : 80)
  }

  /// Splits `host[:port]` or `[v6]:port` (`authority`, a part of `endpoint`, which errors name).
  static func hostAndPort(
    of authority: Substring, in endpoint: String, defaultPort: Int
  ) throws(TracingConfigurationError) -> (host: String, port: Int) {
    var hostPart = authority
    var portText: Substring?
    if hostPart.hasPrefix("[") {
      guard let close = hostPart.firstIndex(of: "]") else {
        throw TracingConfigurationError(.invalidEndpoint, "\(endpoint): unclosed IPv6 bracket")
      }
      let after = hostPart[hostPart.index(after: close)...]
      if after.hasPrefix(":") { portText = after.dropFirst() }
      hostPart = hostPart[hostPart.index(after: hostPart.startIndex)..<close]
    } else if let colon = hostPart.lastIndex(of: ":") {
      portText = hostPart[hostPart.index(after: colon)...]
      hostPart = hostPart[..<colon]
    }
    guard !hostPart.isEmpty else {
      throw TracingConfigurationError(.invalidEndpoint, "\(endpoint): no host")
    }
    guard let portText else { return (String(hostPart), defaultPort) }
    guard let port = Int(portText), (1...65535).contains(port) else {
      throw TracingConfigurationError(.invalidEndpoint, "\(endpoint): bad port")
    }
    return (String(hostPart), port)
  }
}
