import Glibc

/// Which proxy an `HTTPClient` goes through for each scheme, and which hosts go direct.
///
/// The defaults come from the environment as curl and most HTTP clients read it: for each
/// variable the lower-case name first, then the upper-case one (curl itself ignores upper-case
/// `HTTP_PROXY`, a guard for CGI programs, whose environment a request can set; a sidecar is not
/// one), `ALL_PROXY` when the scheme's own is unset, and an empty value counts as unset.
public struct HTTPProxyConfiguration: Sendable, Hashable {
  /// Proxy URL for `http://` origins (`http://proxy:3128`); the request goes to it in absolute
  /// form. Nil: direct.
  public var httpProxy: String?
  /// Proxy URL for `https://` origins, reached through a `CONNECT` tunnel. Nil: direct.
  public var httpsProxy: String?
  /// Hosts that bypass the proxy, in curl's `NO_PROXY` syntax: comma-separated names (each
  /// also matches its subdomains), IP addresses, CIDR ranges, or `*` for every host.
  public var noProxy: String?

  /// No proxy for any host, whatever the environment says.
  public static let direct = HTTPProxyConfiguration()

  public init(httpProxy: String? = nil, httpsProxy: String? = nil, noProxy: String? = nil) {
    self.httpProxy = httpProxy
    self.httpsProxy = httpsProxy
    self.noProxy = noProxy
  }

  /// The settings that `http_proxy`, `https_proxy`, `all_proxy` and `no_proxy` (or their
  /// upper-case names) give, read through `variable`.
  public init(environment variable: (String) -> String?) {
    func value(_ name: String) -> String? {
      for candidate in [name.lowercased(), name.uppercased()] {
        if let text = variable(candidate), !text.isEmpty { return text }
      }
      return nil
    }
    let fallback = value("all_proxy")
    self.init(
      httpProxy: value("http_proxy") ?? fallback, httpsProxy: value("https_proxy") ?? fallback,
      noProxy: value("no_proxy"))
  }

  /// The settings of this process's environment.
  public static var processEnvironment: HTTPProxyConfiguration {
    HTTPProxyConfiguration { name in getenv(name).map { String(cString: $0) } }
  }

  /// The proxy for an origin of `scheme` (`http` or `https`).
  func proxy(forScheme scheme: String) -> String? {
    scheme == "https" ? httpsProxy : httpProxy
  }
}
