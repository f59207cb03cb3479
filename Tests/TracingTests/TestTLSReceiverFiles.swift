import Foundation

/// The files shared by the TLS receiver tests: a CA and server certificate made with the
/// `openssl` CLI, and the port a Python receiver announces through a file.
enum TestTLSReceiverFiles {
  /// Writes `ca.pem`, `server.key`, `server.pem` (a `localhost`/`127.0.0.1` certificate signed by
  /// the CA) and `chain.pem` (server then CA) into `directory`.
  static func makeCertificates(in directory: URL) throws {
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(
      to: directory.appendingPathComponent("server.ext"), atomically: true, encoding: .utf8)
    let steps: [[String]] = [
      ["req", "-x509"] + ec + [
        "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=OTLP test CA",
      ],
      ["req"] + ec + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=receiver"],
      [
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-out", "server.pem", "-extfile", "server.ext",
      ],
    ]
    for arguments in steps {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
      process.arguments = arguments
      process.currentDirectoryURL = directory
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try process.run()
      process.waitUntilExit()
      guard process.terminationStatus == 0 else {
        throw HTTPSReceiverError("openssl \(arguments.joined(separator: " ")) failed")
      }
    }
    let chain =
      try String(contentsOf: directory.appendingPathComponent("server.pem"), encoding: .utf8)
      + String(contentsOf: directory.appendingPathComponent("ca.pem"), encoding: .utf8)
    try chain.write(
      to: directory.appendingPathComponent("chain.pem"), atomically: true, encoding: .utf8)
  }

  /// The port `process` writes to `file` once listening; kills it when it does not start.
  static func waitForPort(_ file: URL, process: Process, receiver: String) throws -> Int {
    let start = ContinuousClock.now
    while ContinuousClock.now - start < .seconds(20) {
      if let text = try? String(contentsOf: file, encoding: .utf8), let port = Int(text) {
        return port
      }
      guard process.isRunning else { break }
      usleep(10_000)
    }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    throw HTTPSReceiverError("the \(receiver) did not start")
  }
}

/// A TLS receiver could not be set up.
struct HTTPSReceiverError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}
