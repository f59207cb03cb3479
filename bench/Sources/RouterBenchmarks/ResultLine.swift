import Foundation

/// Writes one benchmark result as a JSON object on its own stdout line (bench.py reads them).
enum ResultLine {
  static func write(_ result: [String: Any]) throws {
    let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
    FileHandle.standardOutput.write(json + Data("\n".utf8))
  }
}
