import Foundation

/// A Python receiver for the TLS exporter tests, in a throw-away directory with its own CA and
/// server certificate (made with the `openssl` CLI): it runs `receiver.py` from `source` with
/// the venv's Python, logs to `receiver.log` and announces its port in the file `port`.
final class TestTLSReceiverProcess {
  private static let python = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent(".venv/bin/python").path

  /// Whether the venv (with grpcio and opentelemetry-proto) is there to run receivers.
  static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: python) }

  let directory: URL
  let port: Int
  private let process: Process
  var caFile: String { directory.appendingPathComponent("ca.pem").path }

  /// Starts the receiver; `name` says which one in errors.
  init(source: String, name: String) throws {
    directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("otlp-tls-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    do {
      try Self.makeCertificates(in: directory)
      try source.write(
        to: directory.appendingPathComponent("receiver.py"), atomically: true, encoding: .utf8)
      process = Process()
      process.executableURL = URL(fileURLWithPath: Self.python)
      process.currentDirectoryURL = directory
      process.arguments = ["receiver.py"]
      // Files, not pipes: a process another test spawns meanwhile could inherit a pipe.
      let log = directory.appendingPathComponent("receiver.log")
      _ = FileManager.default.createFile(atPath: log.path, contents: nil)
      let output = try FileHandle(forWritingTo: log)
      defer { try? output.close() }
      process.standardOutput = output
      process.standardError = output
      try process.run()
      port = try Self.waitForPort(
        directory.appendingPathComponent("port"), process: process, receiver: name)
    } catch {
      try? FileManager.default.removeItem(at: directory)
      throw error
    }
  }

  func stop() {
    if process.isRunning {
      // SIGKILL: a child of the test runner may have SIGTERM ignored.
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
    }
    try? FileManager.default.removeItem(at: directory)
  }

  /// Writes `ca.pem`, `server.key`, `server.pem` (a `localhost`/`127.0.0.1` certificate signed by
  /// the CA) and `chain.pem` (server then CA) into `directory`.
  private static func makeCertificates(in directory: URL) throws {
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
        throw TestTLSReceiverError("openssl \(arguments.joined(separator: " ")) failed")
      }
    }
    let chain =
      try String(contentsOf: directory.appendingPathComponent("server.pem"), encoding: .utf8)
      + String(contentsOf: directory.appendingPathComponent("ca.pem"), encoding: .utf8)
    try chain.write(
      to: directory.appendingPathComponent("chain.pem"), atomically: true, encoding: .utf8)
  }

  /// The port `process` writes to `file` once listening; kills it when it does not start.
  private static func waitForPort(_ file: URL, process: Process, receiver: String) throws -> Int {
    let start = ContinuousClock.now
    while ContinuousClock.now - start < .seconds(20) {
      if let text = try? String(contentsOf: file, encoding: .utf8), let port = Int(text) {
        return port
      }
      guard process.isRunning else { break }
      usleep(10_000)
    }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    throw TestTLSReceiverError("the \(receiver) did not start")
  }
}

/// A TLS receiver could not be set up.
struct TestTLSReceiverError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}
