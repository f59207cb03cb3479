import Foundation

/// Paths into the repository, found from this file's location (Tests/RouterTests/…).
enum Repository {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  static func path(_ relative: String) -> String {
    root.appendingPathComponent(relative).path
  }

  /// The shipped `deploy/router-config.yaml`.
  static var defaultConfigPath: String { path("deploy/router-config.yaml") }
}

extension Array where Element == UInt8 {
  /// UTF-8 bytes of a string literal.
  init(_ text: String) { self = Array(text.utf8) }
}

extension String {
  init(bytes: [UInt8]) { self = String(decoding: bytes, as: UTF8.self) }
}
