/// The command line of `RouterBenchmarks`: a command, then `--name value...` options (an option
/// may take several values, up to the next `--name`).
struct BenchmarkArguments {
  /// A command line error, printed as is.
  struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
  }

  /// The first argument (`router`, `spans`), empty when none.
  let command: String
  private var options: [String: [String]] = [:]

  init(_ arguments: [String]) {
    command = arguments.first ?? ""
    var current: String?
    for argument in arguments.dropFirst() {
      if argument.hasPrefix("--") {
        let name = String(argument.dropFirst(2))
        options[name, default: []] = []
        current = name
      } else if let name = current {
        options[name, default: []].append(argument)
      }
    }
  }

  /// Every value of `--name` (empty when absent).
  func values(_ name: String) -> [String] { options[name] ?? [] }

  /// The single value of `--name`; throws when it is missing.
  func string(_ name: String) throws(Failure) -> String {
    guard let value = options[name]?.first else { throw Failure("--\(name) is required") }
    return value
  }

  /// `--name` as a positive integer, `fallback` when absent.
  func int(_ name: String, default fallback: Int) throws(Failure) -> Int {
    guard let text = options[name]?.first else { return fallback }
    guard let value = Int(text), value > 0 else {
      throw Failure("--\(name) wants a positive integer, got '\(text)'")
    }
    return value
  }

  /// `--name` as comma-separated positive integers, `fallback` when absent.
  func ints(_ name: String, default fallback: [Int]) throws(Failure) -> [Int] {
    guard let text = options[name]?.first else { return fallback }
    var result: [Int] = []
    for part in text.split(separator: ",") {
      guard let value = Int(part), value > 0 else {
        throw Failure("--\(name) wants positive integers separated by commas, got '\(text)'")
      }
      result.append(value)
    }
    return result
  }
}
