/// Why a model folder could not be loaded or an input could not be embedded; always names the
/// file and the field at fault so a user can fix the folder without reading our code.
public struct EmbeddingError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The file the problem is in (a path as the caller gave it).
  public let file: String
  /// The field, tensor or byte range at fault.
  public let field: String
  /// What is wrong with it.
  public let reason: String

  public init(file: String, field: String, reason: String) {
    self.file = file
    self.field = field
    self.reason = reason
  }

  public var description: String { "\(file): \(field): \(reason)" }
}
