/// A backend address of the form `http://host:port` (or `https://`), split into its parts.
struct EndpointAddress: Equatable {
  var scheme: String
  /// Host name or IP address; an IPv6 address is kept without its brackets.
  var host: String
  var port: Int

  /// Parses `scheme://host[:port][/]`; the port defaults to 80 for http and 443 for https.
  init(parsing address: String) throws(EndpointAddressError) {
    guard let schemeEnd = address.range(of: "://") else {
      throw EndpointAddressError("expected http://host:port, found '\(address)'")
    }
    let scheme = String(address[..<schemeEnd.lowerBound]).lowercased()
    guard scheme == "http" || scheme == "https" else {
      throw EndpointAddressError("scheme must be http or https, found '\(scheme)'")
    }
    var authority = address[schemeEnd.upperBound...]
    if authority.hasSuffix("/") { authority = authority.dropLast() }
    guard !authority.contains("/"), !authority.contains("?"), !authority.contains("@") else {
      throw EndpointAddressError("expected only host and port after the scheme in '\(address)'")
    }
    var host: Substring
    var portText: Substring?
    if authority.hasPrefix("[") {
      guard let close = authority.firstIndex(of: "]") else {
        throw EndpointAddressError("unclosed '[' in '\(address)'")
      }
      host = authority[authority.index(after: authority.startIndex)..<close]
      let rest = authority[authority.index(after: close)...]
      if !rest.isEmpty {
        guard rest.hasPrefix(":") else { throw EndpointAddressError("bad port in '\(address)'") }
        portText = rest.dropFirst()
      }
    } else if let colon = authority.lastIndex(of: ":") {
      host = authority[..<colon]
      portText = authority[authority.index(after: colon)...]
    } else {
      host = authority
    }
    guard !host.isEmpty, !host.contains(" ") else {
      throw EndpointAddressError("missing or invalid host in '\(address)'")
    }
    if !authority.hasPrefix("["), host.contains(":") {
      throw EndpointAddressError("an IPv6 host needs brackets, as in http://[::1]:8000")
    }
    var port = scheme == "https" ? 443 : 80
    if let portText {
      guard let value = Int(portText), (1...65535).contains(value) else {
        throw EndpointAddressError("port must be 1-65535 in '\(address)'")
      }
      port = value
    }
    self.scheme = scheme
    self.host = String(host)
    self.port = port
  }
}

/// Why an endpoint address could not be parsed.
public struct EndpointAddressError: Error, Sendable, Equatable, CustomStringConvertible {
  public var description: String

  init(_ description: String) { self.description = description }
}
