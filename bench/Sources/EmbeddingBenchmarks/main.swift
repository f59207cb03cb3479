// bench/embedding's Swift side.
//
//   EmbeddingBenchmarks MODEL_DIR IDS_FILE RUNS [f32|int8]
//     per-query latency (QueryLatency); IDS_FILE has one JSON array of token ids per line, made
//     by the script with the model's own tokenizer so every implementation runs the same inputs;
//     the last argument is the dense layers' precision (default f32)
//   EmbeddingBenchmarks classify MODEL_DIR EXAMPLES_DIR TEST_SET
//     accuracy of sentence vectors alone on a labelled test set (CategoryAccuracy)
//   EmbeddingBenchmarks paraphrases MODEL_DIR STATIC_TABLE ROUTER_CONFIG TEST_PAIRS DEV_PAIRS
//     lexical vectors, the static table (bench/model2vec-distill.py) and the full model on
//     paraphrase pairs (ParaphraseMeasure)
import Embedding
import Foundation

let arguments = CommandLine.arguments
if arguments.count == 5, arguments[1] == "classify" {
  let embedder = try SentenceEmbedder(directory: arguments[2])
  try CategoryAccuracy.run(
    embedder: embedder, examplesDirectory: arguments[3], testSet: arguments[4])
} else if arguments.count == 7, arguments[1] == "paraphrases" {
  try ParaphraseMeasure.run(
    modelDirectory: arguments[2], tablePath: arguments[3], configurationPath: arguments[4],
    testPath: arguments[5], devPath: arguments[6])
} else if arguments.count == 4 || arguments.count == 5, let runs = Int(arguments[3]),
  let precision = EmbeddingPrecision(rawValue: arguments.count == 5 ? arguments[4] : "f32")
{
  let embedder = try SentenceEmbedder(directory: arguments[1], precision: precision)
  try QueryLatency.run(embedder: embedder, idsFile: arguments[2], runs: runs)
} else {
  FileHandle.standardError.write(
    Data(
      """
      usage: EmbeddingBenchmarks MODEL_DIR IDS_FILE RUNS [f32|int8]
             EmbeddingBenchmarks classify MODEL_DIR EXAMPLES_DIR TEST_SET
             EmbeddingBenchmarks paraphrases MODEL_DIR STATIC_TABLE ROUTER_CONFIG TEST_PAIRS DEV_PAIRS

      """.utf8))
  exit(2)
}
