import Foundation

/// A throw-away PKI made with the `openssl` CLI in a temporary directory: a self-signed CA, a
/// server certificate for `localhost` / `127.0.0.1` signed by it, and a client certificate.
struct TLSTestCertificates {
  let directory: URL
  var caFile: String { path("ca.pem") }
  /// The server's certificate followed by the CA's (so a client without the CA sees a
  /// self-signed certificate in the chain).
  var serverChainFile: String { path("server-chain.pem") }
  var serverKeyFile: String { path("server.key") }
  var clientCertificateFile: String { path("client.pem") }
  var clientKeyFile: String { path("client.key") }

  init() throws {
    directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("tls-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    try openssl(["req", "-x509"] + ec + [
      "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=semantic-router test CA",
    ])
    try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(
      to: directory.appendingPathComponent("server.ext"), atomically: true, encoding: .utf8)
    try "extendedKeyUsage=clientAuth\n".write(
      to: directory.appendingPathComponent("client.ext"), atomically: true, encoding: .utf8)
    for name in ["server", "client"] {
      try openssl(["req"] + ec + [
        "-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=\(name)",
      ])
      try openssl([
        "x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-out", "\(name).pem", "-extfile", "\(name).ext",
      ])
    }
    let chain = try String(contentsOfFile: path("server.pem"), encoding: .utf8)
      + String(contentsOfFile: caFile, encoding: .utf8)
    try chain.write(toFile: serverChainFile, atomically: true, encoding: .utf8)
  }

  func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

  func remove() { try? FileManager.default.removeItem(at: directory) }

  private func openssl(_ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
    process.arguments = arguments
    process.currentDirectoryURL = directory
    // Output goes to a file, not a pipe: a server another test spawns at the same moment can
    // inherit a pipe's write end, and then reading to its end would never finish.
    let log = directory.appendingPathComponent("openssl.log")
    guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
      throw TLSTestSetupError("cannot create \(log.path)")
    }
    let output = try FileHandle(forWritingTo: log)
    defer { try? output.close() }
    process.standardOutput = output
    process.standardError = output
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
      throw TLSTestSetupError("openssl \(arguments.joined(separator: " ")): \(text)")
    }
  }
}

/// A Python `ssl` server on 127.0.0.1 (the project's venv, else the system python3), as an
/// independent TLS peer.
///
/// `.http`: an `http.server`; `GET` answers `hello over TLS` with the ALPN protocol it agreed
/// in `x-alpn` and the client's TCP port in `x-client-port`, `POST` answers the number of body
/// bytes. `.echo`: reads one line, answers
/// `<alpn>:<LINE IN UPPER CASE>`, sends close_notify and waits for the client's, then writes
/// `close_notify received` in plain TCP.
final class TLSTestServer {
  enum Mode: String { case http, echo }

  let port: Int
  private let process: Process
  private let script: URL

  static let python: String = {
    let venv = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent(".venv/bin/python").path
    return FileManager.default.isExecutableFile(atPath: venv) ? venv : "/usr/bin/python3"
  }()

  /// Starts the server. `alpn`: protocols it accepts; `clientCA`: when set, a client
  /// certificate signed by it is required.
  init(
    certificates: TLSTestCertificates, mode: Mode = .http, alpn: [String] = ["http/1.1"],
    clientCA: String? = nil
  ) throws {
    script = certificates.directory.appendingPathComponent("server-\(UUID().uuidString).py")
    try Self.source.write(to: script, atomically: true, encoding: .utf8)
    process = Process()
    process.executableURL = URL(fileURLWithPath: Self.python)
    process.arguments = [
      script.path, certificates.serverChainFile, certificates.serverKeyFile,
      alpn.joined(separator: ","), clientCA ?? "", mode.rawValue,
    ]
    // The port comes back in a file, not a pipe: a process another test spawns at the same
    // moment could inherit the pipe's write end and hide the server's exit.
    let portFile = script.appendingPathExtension("port")
    process.arguments! += [portFile.path]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    let start = ContinuousClock.now
    while true {
      if let text = try? String(contentsOf: portFile, encoding: .utf8), let port = Int(text) {
        self.port = port
        return
      }
      guard process.isRunning, ContinuousClock.now - start < .seconds(20) else {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        throw TLSTestSetupError("TLS test server did not start")
      }
      usleep(10_000)
    }
  }

  func stop() {
    if process.isRunning {
      // SIGKILL: a child of the test runner may have SIGTERM ignored.
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
    }
    try? FileManager.default.removeItem(at: script)
    try? FileManager.default.removeItem(at: script.appendingPathExtension("port"))
  }

  static let source = #"""
    import os, socket, ssl, sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    chain, key, alpn, client_ca, mode, port_file = sys.argv[1:7]

    def announce(port):
        with open(port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.rename(port_file + ".tmp", port_file)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def reply(self, body):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("x-alpn", self.connection.selected_alpn_protocol() or "")
            self.send_header("x-client-port", str(self.client_address[1]))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            self.reply(b"hello over TLS")

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            self.reply(str(len(body)).encode())

        def log_message(self, *args):
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain, key)
    if alpn:
        context.set_alpn_protocols(alpn.split(","))
    if client_ca:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca)
    if mode == "echo":
        listener = socket.create_server(("127.0.0.1", 0))
        announce(listener.getsockname()[1])
        while True:
            raw, _ = listener.accept()
            try:
                conn = context.wrap_socket(raw, server_side=True)
                line = b""
                while not line.endswith(b"\n"):
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    line += chunk
                agreed = conn.selected_alpn_protocol() or "none"
                conn.sendall(agreed.encode() + b":" + line.upper())
                plain = conn.unwrap()
                plain.sendall(b"close_notify received\n")
                plain.close()
            except (OSError, ssl.SSLError):
                raw.close()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    announce(server.server_address[1])
    server.serve_forever()
    """#
}

/// A failure in test set-up, with the detail to show.
struct TLSTestSetupError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}
