/// Parses `semantic_cache.redis.address`: `host:port` or
/// `redis://[user[:password]@]host[:port][/db]` (IANA's redis URI scheme), or the same with
/// `rediss://` for Redis over TLS.
enum RedisAddress {
  struct Parsed: Equatable {
    var host: String
    var port = 6379
    var username: String?
    var password: String?
    var database = 0
    /// `rediss://`: the connection runs over TLS.
    var tls = false
  }

  /// Why an address is not one.
  struct Invalid: Error, Equatable {
    var message: String
  }

  /// The parsed address, or why it is not one.
  static func parse(_ text: String) -> Result<Parsed, Invalid> {
    var rest = Substring(text)
    var isURL = false
    var parsed = Parsed(host: "")
    for scheme in ["redis://", "rediss://"] where rest.hasPrefix(scheme) {
      rest = rest.dropFirst(scheme.count)
      isURL = true
      parsed.tls = scheme == "rediss://"
    }
    if isURL, let slash = rest.firstIndex(of: "/") {
      let db = rest[rest.index(after: slash)...]
      if !db.isEmpty {
        guard let number = Int(db), (0...15_999).contains(number) else {
          return .failure(Invalid(message: "database '\(db)' is not a number"))
        }
        parsed.database = number
      }
      rest = rest[..<slash]
    }
    if isURL, let at = rest.lastIndex(of: "@") {
      let credentials = rest[..<at]
      rest = rest[rest.index(after: at)...]
      if let colon = credentials.firstIndex(of: ":") {
        let user = credentials[..<colon]
        parsed.username = user.isEmpty ? nil : String(user)
        parsed.password = String(credentials[credentials.index(after: colon)...])
      } else if !credentials.isEmpty {
        parsed.username = String(credentials)
      }
    }
    var hostPart = rest
    if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") {
      let portText = rest[rest.index(after: colon)...]
      guard let port = Int(portText), (1...65535).contains(port) else {
        return .failure(Invalid(message: "port '\(portText)' is not in 1...65535"))
      }
      parsed.port = port
      hostPart = rest[..<colon]
    } else if !isURL {
      return .failure(Invalid(message: "expected host:port or a redis:// or rediss:// URL"))
    }
    if hostPart.hasPrefix("["), hostPart.hasSuffix("]") {
      hostPart = hostPart.dropFirst().dropLast()
    }
    guard !hostPart.isEmpty else { return .failure(Invalid(message: "the host is empty")) }
    parsed.host = String(hostPart)
    return .success(parsed)
  }
}
