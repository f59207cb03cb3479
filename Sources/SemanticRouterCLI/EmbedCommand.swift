import ArgumentParser
import Embedding

/// `semantic-router embed`: one text through a sentence-embedding model folder, printed as the
/// vector (or the token ids) in JSON, for checking a model and for scripts.
struct EmbedCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "embed",
    abstract: "Print the sentence embedding (or the token ids) of a text, as a JSON array."
  )

  @Option(help: "A sentence-transformers BERT model folder (config.json, model.safetensors, …).")
  var model: String

  @Option(help: "The dense layers' number format: f32, or int8 (quantised at load).")
  var precision: EmbeddingPrecision = .f32

  @Flag(help: "Print the token ids instead of the vector.")
  var ids = false

  @Argument(help: "The text (several arguments are joined with spaces).")
  var text: [String]

  func run() throws {
    let embedder: SentenceEmbedder
    do {
      embedder = try SentenceEmbedder(directory: model, precision: precision)
    } catch let error as EmbeddingError {
      StandardError.write("\(error)\n")
      throw ExitCode(2)
    }
    let input = text.joined(separator: " ")
    if ids {
      print("[" + embedder.tokenize(input).map(String.init).joined(separator: ",") + "]")
    } else {
      print("[" + embedder.embed(input).map { "\($0)" }.joined(separator: ",") + "]")
    }
  }
}

extension EmbeddingPrecision: ExpressibleByArgument {}
