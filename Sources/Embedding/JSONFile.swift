import Foundation

/// A JSON object read from one file of a model folder, with typed field access whose errors
/// name the file and the field.
struct JSONFile {
  let path: String
  let object: [String: Any]

  init(path: String) throws {
    self.path = path
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw EmbeddingError(file: path, field: "(file)", reason: "cannot read")
    }
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw EmbeddingError(file: path, field: "(file)", reason: "not a JSON object")
    }
    self.object = object
  }

  func error(_ field: String, _ reason: String) -> EmbeddingError {
    EmbeddingError(file: path, field: field, reason: reason)
  }

  /// A positive integer field (`default` when absent, an error when absent without one).
  func positiveInteger(_ field: String, default fallback: Int? = nil) throws -> Int {
    guard let value = object[field] else {
      if let fallback { return fallback }
      throw error(field, "missing")
    }
    guard let number = value as? NSNumber, number.doubleValue == number.doubleValue.rounded(),
      number.doubleValue >= 1, number.doubleValue <= 1e9
    else { throw error(field, "\(value) is not a positive integer") }
    return number.intValue
  }

  func number(_ field: String, default fallback: Double) throws -> Double {
    guard let value = object[field] else { return fallback }
    guard let number = value as? NSNumber else { throw error(field, "\(value) is not a number") }
    return number.doubleValue
  }

  func string(_ field: String) throws -> String? {
    guard let value = object[field] else { return nil }
    guard let string = value as? String else { throw error(field, "\(value) is not a string") }
    return string
  }

  func bool(_ field: String, default fallback: Bool) throws -> Bool {
    guard let value = object[field] else { return fallback }
    guard let bool = value as? Bool else { throw error(field, "\(value) is not true or false") }
    return bool
  }
}
