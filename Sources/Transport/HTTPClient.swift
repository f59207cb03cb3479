internal import CCurl
internal import COpenSSL

/// A blocking HTTP/1.1 client for one origin, over plain TCP or TLS, used by the OTLP/HTTP
/// exporter: one libcurl easy handle.
///
/// libcurl resolves the name again for every new connection (no DNS cache, so a collector
/// whose address changes is found), tries every address of it (happy eyeballs), goes through
/// the proxy `proxy` names, and keeps the connection alive between requests; a request that
/// finds a kept-alive connection closed is sent again on a new one. TLS trusts the system roots
/// or `tls.caFile` and can present a client certificate. Every wait, name resolution and TLS
/// handshake included, is bounded by the request's deadline, and another thread can end a
/// request early through the client's `HTTPClientCancellation`. Confined to the calling thread
/// (the span export thread, never an event loop: a request blocks until its answer).
public final class HTTPClient {
  public let host: String
  public let port: Int
  /// TLS settings for an `https` origin; nil for plain TCP.
  public let tls: TLSConfiguration?
  public let proxy: HTTPProxyConfiguration
  /// Raised from another thread to end the request in progress and refuse later ones.
  public let cancellation: HTTPClientCancellation?

  /// Largest response body we accept.
  public static let maxBodyBytes = 16 * 1024 * 1024

  /// The easy handle (`CURL *`) once the first request made it; owns the kept-alive connection.
  private var handle: UnsafeMutableRawPointer?
  /// `CONNECT_TO` list routing `tls.serverName` to `host` (libcurl keeps the pointer).
  private var connectTo: UnsafeMutablePointer<curl_slist>?
  /// libcurl's text for the last failure (`CURLOPT_ERRORBUFFER`).
  private let errorText: UnsafeMutablePointer<CChar>
  /// Where the write callback puts the response body.
  private let body = ResponseBody(limit: HTTPClient.maxBodyBytes)

  /// `curl_global_init`, once per process before the first handle.
  private static let globalInit: CURLcode = ccurl_global_init()

  /// A client for `host:port`; with `tls`, every connection is TLS (the name checked and sent in
  /// the `Host` header is `tls.serverName`, else `host`). `tls.alpnProtocols` is not used:
  /// libcurl offers `http/1.1`. `proxy` defaults to this process's environment.
  public init(
    host: String, port: Int, tls: TLSConfiguration? = nil,
    proxy: HTTPProxyConfiguration = .processEnvironment,
    cancellation: HTTPClientCancellation? = nil
  ) {
    self.host = host
    self.port = port
    self.tls = tls
    self.proxy = proxy
    self.cancellation = cancellation
    errorText = .allocate(capacity: Int(CURL_ERROR_SIZE))
    errorText.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
  }

  deinit {
    close()
    errorText.deallocate()
  }

  /// Closes the connection (the next request opens a new one).
  public func close() {
    if let handle { curl_easy_cleanup(handle) }
    handle = nil
    curl_slist_free_all(connectTo)
    connectTo = nil
  }

  /// Sends one request and reads the whole response, by `deadline`. `Host`, `Content-Length`
  /// and libcurl's `Accept: */*` are added; `headers` should not repeat them.
  public func request(
    method: String, path: String, headers: [(name: String, value: String)] = [],
    body requestBody: [UInt8] = [], deadline: ContinuousClock.Instant
  ) throws(HTTPClientError) -> HTTPResponse {
    let remaining = ContinuousClock.now.duration(to: deadline)
    guard remaining > .zero else { throw HTTPClientError(.timeout, "deadline passed") }
    if cancellation?.isCancelled == true {
      throw HTTPClientError(.cancelled, "\(host):\(port): request cancelled")
    }
    let handle = try openHandle()

    // Whole milliseconds, rounded up, so a deadline a fraction of a millisecond away still
    // gets one.
    let (seconds, attoseconds) = remaining.components
    let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    try set(handle, CURLOPT_TIMEOUT_MS, Int(clamping: milliseconds))
    try set(handle, CURLOPT_URL, url(path: path))

    // "Expect:" stops libcurl from asking for 100-continue before a large body.
    var list: UnsafeMutablePointer<curl_slist>? = curl_slist_append(nil, "Expect:")
    for (name, value) in headers { list = curl_slist_append(list, "\(name): \(value)") }
    defer { curl_slist_free_all(list) }
    try set(handle, CURLOPT_HTTPHEADER, pointer: list)
    defer { ccurl_setopt_pointer(handle, CURLOPT_HTTPHEADER, nil) }

    body.reset()
    errorText[0] = 0
    let code: CURLcode
    let standard = ["GET", "HEAD", "POST"].contains(method)
    try set(handle, CURLOPT_CUSTOMREQUEST, standard ? nil : method)
    switch method {
    case "GET":
      try set(handle, CURLOPT_HTTPGET, 1)
      code = curl_easy_perform(handle)
    case "HEAD":
      try set(handle, CURLOPT_NOBODY, 1)
      code = curl_easy_perform(handle)
    default:
      try set(handle, CURLOPT_NOBODY, 0)
      try set(handle, CURLOPT_POSTFIELDSIZE_LARGE, offset: curl_off_t(requestBody.count))
      // libcurl reads the body from this pointer during the transfer; without one (an empty
      // body) it would read standard input.
      let bytes = requestBody.isEmpty ? [0] : requestBody
      code = bytes.withUnsafeBytes { raw in
        // Cannot fail: the option exists and stores the pointer as it is.
        ccurl_setopt_pointer(handle, CURLOPT_POSTFIELDS, raw.baseAddress)
        defer { ccurl_setopt_pointer(handle, CURLOPT_POSTFIELDS, nil) }
        return curl_easy_perform(handle)
      }
    }
    guard code == CURLE_OK else { throw error(for: code, handle: handle) }

    var status = 0
    ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
    return HTTPResponse(status: status, headers: responseHeaders(handle), body: body.bytes)
  }

  // MARK: - Handle

  /// The easy handle, made and set up on first use.
  private func openHandle() throws(HTTPClientError) -> UnsafeMutableRawPointer {
    if let handle { return handle }
    guard Self.globalInit == CURLE_OK, let handle = curl_easy_init() else {
      throw HTTPClientError(.io, "libcurl could not be initialised")
    }
    self.handle = handle
    do throws(HTTPClientError) {
      try configure(handle)
    } catch {
      close()
      throw error
    }
    return handle
  }

  /// Sets the options every request of this client shares.
  private func configure(_ handle: UnsafeMutableRawPointer) throws(HTTPClientError) {
    // Threads: libcurl must not use signals (SIGALRM) for its timeouts.
    try set(handle, CURLOPT_NOSIGNAL, 1)
    try set(handle, CURLOPT_PROTOCOLS_STR, "http,https")
    try set(handle, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1))
    // Connections are kept alive, so resolving each new one again costs little.
    try set(handle, CURLOPT_DNS_CACHE_TIMEOUT, 0)
    try set(handle, CURLOPT_ERRORBUFFER, pointer: errorText)
    try check(ccurl_setopt_write_function(handle, writeResponseBody), CURLOPT_WRITEFUNCTION)
    try set(handle, CURLOPT_WRITEDATA, pointer: Unmanaged.passUnretained(body).toOpaque())
    try set(handle, CURLOPT_MAXFILESIZE_LARGE, offset: curl_off_t(Self.maxBodyBytes))
    // An empty string turns libcurl's own reading of the environment off: `proxy` decides.
    try set(handle, CURLOPT_PROXY, proxy.proxy(forScheme: scheme) ?? "")
    try set(handle, CURLOPT_NOPROXY, proxy.noProxy ?? "")
    if let tls { try configureTLS(tls, handle: handle) }
    if let cancellation {
      try check(
        ccurl_setopt_xferinfo_function(handle, checkCancellation), CURLOPT_XFERINFOFUNCTION)
      try set(
        handle, CURLOPT_XFERINFODATA, pointer: Unmanaged.passUnretained(cancellation).toOpaque())
      try set(handle, CURLOPT_NOPROGRESS, 0)
    }
  }

  private func configureTLS(
    _ tls: TLSConfiguration, handle: UnsafeMutableRawPointer
  ) throws(HTTPClientError) {
    try set(handle, CURLOPT_SSL_VERIFYPEER, tls.verifyPeer ? 1 : 0)
    try set(handle, CURLOPT_SSL_VERIFYHOST, tls.verifyPeer ? 2 : 0)
    // Unset, libcurl trusts the system roots (Debian: /etc/ssl/certs/ca-certificates.crt).
    if let caFile = tls.caFile { try set(handle, CURLOPT_CAINFO, caFile) }
    if let certificate = tls.clientCertificateFile {
      try set(handle, CURLOPT_SSLCERT, certificate)
    }
    if let key = tls.clientKeyFile { try set(handle, CURLOPT_SSLKEY, key) }
    if let serverName = tls.serverName, serverName != host {
      // The URL names `serverName` (SNI, certificate check, Host); the connection goes to host.
      connectTo = curl_slist_append(
        nil, "\(Self.urlHost(serverName)):\(port):\(Self.urlHost(host)):\(port)")
      try set(handle, CURLOPT_CONNECT_TO, pointer: connectTo)
    }
  }

  // MARK: - Options

  private func set(
    _ handle: UnsafeMutableRawPointer, _ option: CURLoption, _ value: Int
  ) throws(HTTPClientError) {
    try check(ccurl_setopt_long(handle, option, value), option)
  }

  private func set(
    _ handle: UnsafeMutableRawPointer, _ option: CURLoption, offset value: curl_off_t
  ) throws(HTTPClientError) {
    try check(ccurl_setopt_offset(handle, option, value), option)
  }

  /// A string option (libcurl copies it); nil resets the option.
  private func set(
    _ handle: UnsafeMutableRawPointer, _ option: CURLoption, _ value: String?
  ) throws(HTTPClientError) {
    guard let value else { return try set(handle, option, pointer: nil) }
    try check(value.withCString { ccurl_setopt_pointer(handle, option, $0) }, option)
  }

  /// An option libcurl keeps as a pointer: the memory must outlive its use.
  private func set(
    _ handle: UnsafeMutableRawPointer, _ option: CURLoption, pointer: UnsafeRawPointer?
  ) throws(HTTPClientError) {
    try check(ccurl_setopt_pointer(handle, option, pointer), option)
  }

  /// Throws for an option this libcurl refused (too old, or built without it).
  private func check(_ code: CURLcode, _ option: CURLoption) throws(HTTPClientError) {
    guard code != CURLE_OK else { return }
    throw HTTPClientError(
      .io, "libcurl option \(option.rawValue): \(String(cString: curl_easy_strerror(code)))")
  }

  private var scheme: String { tls == nil ? "http" : "https" }

  private func url(path: String) -> String {
    "\(scheme)://\(Self.urlHost(tls?.serverName ?? host)):\(port)\(path)"
  }

  /// `host` as a URL writes it: an IPv6 address in brackets.
  private static func urlHost(_ host: String) -> String {
    host.contains(":") ? "[\(host)]" : host
  }

  // MARK: - Response

  /// The header fields of the last response (not of a 100 Continue or a proxy's CONNECT
  /// answer), names lower-cased.
  private func responseHeaders(_ handle: UnsafeMutableRawPointer) -> [(name: String, value: String)]
  {
    var headers: [(name: String, value: String)] = []
    var previous: UnsafeMutablePointer<curl_header>?
    while let header = curl_easy_nextheader(handle, UInt32(CURLH_HEADER), -1, previous) {
      headers.append(
        (String(cString: header.pointee.name).lowercased(), String(cString: header.pointee.value)))
      previous = header
    }
    return headers
  }

  /// The error for a failed transfer, with libcurl's text (OpenSSL's for a certificate).
  private func error(for code: CURLcode, handle: UnsafeMutableRawPointer) -> HTTPClientError {
    let detail =
      errorText[0] != 0 ? String(cString: errorText) : String(cString: curl_easy_strerror(code))
    let origin = "\(host):\(port)"
    switch code {
    case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
      return HTTPClientError(.resolve, "\(origin): \(detail)")
    case CURLE_COULDNT_CONNECT, CURLE_PROXY:
      return HTTPClientError(.connect, "\(origin): \(detail)")
    case CURLE_OPERATION_TIMEDOUT:
      return HTTPClientError(.timeout, "\(origin): \(detail)")
    case CURLE_ABORTED_BY_CALLBACK:
      return HTTPClientError(.cancelled, "\(origin): request cancelled")
    case CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE:
      return HTTPClientError(.connectionClosed, "\(origin): \(detail)")
    case CURLE_WRITE_ERROR where body.exceededLimit, CURLE_FILESIZE_EXCEEDED:
      return HTTPClientError(
        .malformedResponse, "\(origin): response body larger than \(Self.maxBodyBytes) bytes")
    case CURLE_WEIRD_SERVER_REPLY, CURLE_BAD_CONTENT_ENCODING, CURLE_HTTP2, CURLE_HTTP3:
      return HTTPClientError(.malformedResponse, "\(origin): \(detail)")
    case CURLE_PEER_FAILED_VERIFICATION:
      var result = 0
      ccurl_getinfo_long(handle, CURLINFO_SSL_VERIFYRESULT, &result)
      // libcurl records OpenSSL's verify result when the chain fails; until then it holds 1
      // (X509_V_ERR_UNSPECIFIED), and the failure is libcurl's own check of the name.
      let reason =
        result > 1 ? String(cString: X509_verify_cert_error_string(result)) : "hostname mismatch"
      return HTTPClientError(.tls, "\(origin): certificate verify failed: \(reason)")
    case CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
      CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
      CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_SHUTDOWN_FAILED,
      CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED,
      CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED:
      return HTTPClientError(.tls, "\(origin): \(detail)")
    default:
      return HTTPClientError(.io, "\(origin): \(detail)")
    }
  }
}

@available(*, unavailable)
extension HTTPClient: Sendable {}

/// The response body as libcurl hands it over, up to a limit.
private final class ResponseBody {
  let limit: Int
  private(set) var bytes: [UInt8] = []
  /// True when the body was cut off at `limit` (the transfer then fails).
  private(set) var exceededLimit = false

  init(limit: Int) { self.limit = limit }

  func reset() {
    bytes = []
    exceededLimit = false
  }

  /// Appends `count` bytes; returns how many were taken (fewer aborts the transfer).
  func append(_ data: UnsafeRawPointer, count: Int) -> Int {
    guard bytes.count + count <= limit else {
      exceededLimit = true
      return 0
    }
    bytes.append(contentsOf: UnsafeRawBufferPointer(start: data, count: count))
    return count
  }
}

/// `CURLOPT_WRITEFUNCTION`: `context` is the client's `ResponseBody`.
private let writeResponseBody: curl_write_callback = { data, size, count, context in
  guard let data, let context else { return 0 }
  let body = Unmanaged<ResponseBody>.fromOpaque(context).takeUnretainedValue()
  return body.append(data, count: size * count)
}

/// `CURLOPT_XFERINFOFUNCTION`: `context` is the client's `HTTPClientCancellation` (kept alive by
/// the client); non-zero aborts the transfer.
private let checkCancellation: curl_xferinfo_callback = { context, _, _, _, _ in
  guard let context else { return 0 }
  return Unmanaged<HTTPClientCancellation>.fromOpaque(context).takeUnretainedValue().isCancelled
    ? 1 : 0
}
