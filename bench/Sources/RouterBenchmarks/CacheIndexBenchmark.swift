import Embedding
import Foundation
import Router

/// `RouterBenchmarks cache-index [--sizes 1000,10000,100000] [--queries N] [--threshold T]
/// [--model DIR --vectors-file FILE]`: the in-memory semantic cache's LSH index against an
/// exact scan, at each size: insert time per entry, lookup latency (p50, p99) of the indexed
/// cache and of the scan the cache did before the index (every entry of the key, signature
/// filter, cosine), and the index's recall: of the queries the exact scan finds a match for
/// (cosine at or above the threshold), the share the cache answers, and with the exact best.
///
/// Vectors are 384-dimension unit vectors, either random with planted near-duplicates (the
/// default) or, with `--model`, all-MiniLM-L6-v2 embeddings of generated questions
/// (`GeneratedQuestions`), embedded once and kept in `--vectors-file` for later runs. Half the
/// queries are near-duplicates of stored entries (random: at a cosine spread from the threshold
/// to 1; model: the stored question with a lead-in such as "Quick question: "), half are new.
/// The near-duplicates are of the first stored entries, so every size holds them.
struct CacheIndexBenchmark {
  let sizes: [Int]
  let queries: Int
  let threshold: Double
  let modelDirectory: String?
  let vectorsFile: String?

  init(arguments: BenchmarkArguments) throws {
    sizes = try arguments.ints("sizes", default: [1000, 10_000, 100_000])
    queries = try arguments.int("queries", default: 1000)
    threshold =
      Double(arguments.values("threshold").first ?? "")
      ?? SemanticCacheSettings.defaultEmbeddingSimilarityThreshold
    modelDirectory = arguments.values("model").first
    vectorsFile = arguments.values("vectors-file").first
  }

  func run() throws {
    let nearCount = max(queries / 2, 1)
    guard let smallest = sizes.min(), smallest >= nearCount else {
      throw BenchmarkArguments.Failure("--sizes must be at least half of --queries")
    }
    var (stored, near, fresh) = try vectors(count: sizes.max() ?? 0, queries: nearCount)
    if modelDirectory != nil { (stored, near) = distinct(stored, near: near) }
    // Near-duplicates of the first entries (held at every size) alternating with new queries.
    var asked: [QueryVector] = []
    for index in 0..<min(near.count, fresh.count) {
      asked.append(near[index])
      asked.append(fresh[index])
    }
    for size in sizes {
      try measure(stored: Array(stored.prefix(size)), asked: asked)
    }
  }

  private func measure(stored: [QueryVector], asked: [QueryVector]) throws {
    var settings = SemanticCacheSettings(enabled: true, maxEntries: stored.count)
    settings.embeddingSimilarityThreshold = threshold
    settings.maxBytes = 1 << 40
    let cache = SemanticCache(settings: settings)
    var insertTimes: [Double] = []
    insertTimes.reserveCapacity(stored.count)
    for (number, vector) in stored.enumerated() {
      let answer = CachedResponse(body: Array("\(number)".utf8), contentType: "text/plain")
      insertTimes.append(microseconds { cache.store(key: "m", vector: vector, response: answer) })
    }
    let scan = ExactScan(stored, threshold: threshold)
    var scanTimes: [Double] = []
    var indexTimes: [Double] = []
    var matches = 0
    var found = 0
    var sameBest = 0
    for vector in asked {
      var best: Int?
      scanTimes.append(microseconds { best = scan.best(vector) })
      var answer: CachedResponse?
      indexTimes.append(microseconds { answer = cache.lookup(key: "m", vector: vector) })
      guard let best else { continue }
      matches += 1
      guard let answer else { continue }
      found += 1
      if answer.body == Array("\(best)".utf8) { sameBest += 1 }
    }
    try ResultLine.write([
      "benchmark": "cache_index", "vectors": modelDirectory == nil ? "random" : "minilm",
      "entries": stored.count, "dimensions": stored.first?.components.count ?? 0,
      "threshold": threshold, "queries": asked.count, "exact_matches": matches,
      "recall": Double(found) / Double(max(matches, 1)),
      "recall_same_best": Double(sameBest) / Double(max(matches, 1)),
      "insert_cpu_us_mean": insertTimes.reduce(0, +) / Double(max(insertTimes.count, 1)),
      "lookup_cpu_p50_us": percentile(indexTimes, 0.5),
      "lookup_cpu_p99_us": percentile(indexTimes, 0.99),
      "scan_cpu_p50_us": percentile(scanTimes, 0.5), "scan_cpu_p99_us": percentile(scanTimes, 0.99),
    ])
  }

  /// `stored` without the vectors at or above the threshold to an earlier one, and the
  /// near-duplicates of those kept. Generated questions include such pairs ("How do I sort a
  /// list in Go?", "What's the idiomatic way to sort a list in Go?"), and the cache stores the
  /// second over the first entry, which a scan of every vector would not know: the benchmark
  /// compares the index and the scan over the same entries.
  private func distinct(_ stored: [QueryVector], near: [QueryVector]) -> (
    stored: [QueryVector], near: [QueryVector]
  ) {
    let maximumDistance = ExactScan.maximumDistance(threshold: threshold)
    var kept: [QueryVector] = []
    var keptNear: [QueryVector] = []
    for (index, vector) in stored.enumerated()
    where !kept.contains(where: {
      ($0.signature ^ vector.signature).nonzeroBitCount <= maximumDistance
        && $0.cosine(vector) >= threshold
    }) {
      kept.append(vector)
      if index < near.count { keptNear.append(near[index]) }
    }
    return (kept, keptNear)
  }

  /// The stored vectors, a near-duplicate of each of the first `queries`, and `queries` new
  /// ones.
  private func vectors(count: Int, queries: Int) throws -> (
    stored: [QueryVector], near: [QueryVector], fresh: [QueryVector]
  ) {
    guard let modelDirectory else {
      var random = SplitMix64(seed: 42)
      let stored = (0..<count).map { _ in QueryVector(embedding: gaussian(&random)) }
      let near = stored.prefix(queries).map { vector in
        let cosine = threshold + (1 - threshold) * Double(random.next() % 1000) / 1000
        return Self.rotated(vector, cosine: Float(cosine), noise: gaussian(&random))
      }
      let fresh = (0..<queries).map { _ in QueryVector(embedding: gaussian(&random)) }
      return (stored, near, fresh)
    }
    let questions = GeneratedQuestions.make(count: count + queries)
    let near = questions.prefix(queries).enumerated().map { index, question in
      GeneratedQuestions.leadIns[index % GeneratedQuestions.leadIns.count] + question
    }
    let texts = Array(questions.prefix(count)) + near + questions.suffix(queries)
    let vectors = try embed(texts, modelDirectory: modelDirectory).map {
      QueryVector(embedding: $0)
    }
    return (
      Array(vectors[0..<count]), Array(vectors[count..<(count + queries)]),
      Array(vectors[(count + queries)...])
    )
  }

  /// The texts' embeddings, read from `vectorsFile` when it holds exactly these (same count
  /// and a digest of the texts), else computed and written there.
  private func embed(_ texts: [String], modelDirectory: String) throws -> [[Float]] {
    var digest: UInt64 = 0xcbf2_9ce4_8422_2325
    for text in texts {
      for byte in text.utf8 { digest = (digest ^ UInt64(byte)) &* 0x100_0000_01b3 }
    }
    if let vectorsFile, let data = FileManager.default.contents(atPath: vectorsFile),
      let vectors = VectorFile.read(data, digest: digest, count: texts.count)
    {
      return vectors
    }
    let embedder = try SentenceEmbedder(directory: modelDirectory)
    var vectors: [[Float]] = []
    vectors.reserveCapacity(texts.count)
    for (number, text) in texts.enumerated() {
      vectors.append(embedder.embed(text))
      if number % 10_000 == 9_999 {
        FileHandle.standardError.write(Data("embedded \(number + 1) of \(texts.count)\n".utf8))
      }
    }
    if let vectorsFile {
      try VectorFile.write(vectors, digest: digest).write(to: URL(fileURLWithPath: vectorsFile))
    }
    return vectors
  }

  /// A unit vector at exactly `cosine` with `vector`, towards `noise`.
  private static func rotated(_ vector: QueryVector, cosine: Float, noise: [Float]) -> QueryVector {
    let base = vector.components
    let along = zip(noise, base).reduce(Float(0)) { $0 + $1.0 * $1.1 }
    let orthogonal = QueryVector(embedding: zip(noise, base).map { $0 - along * $1 }).components
    let sine = (1 - cosine * cosine).squareRoot()
    return QueryVector(embedding: zip(base, orthogonal).map { cosine * $0 + sine * $1 })
  }

  /// 384 roughly Gaussian components (a sum of uniforms): a uniformly random direction.
  private func gaussian(_ random: inout SplitMix64) -> [Float] {
    (0..<384).map { _ in
      (0..<4).reduce(Float(0)) { sum, _ in sum + Float(random.next() % 2001) / 1000 - 1 }
    }
  }

  /// The calling thread's CPU microseconds for `body`.
  private func microseconds(_ body: () -> Void) -> Double {
    let started = CPUTime.onThisThread()
    body()
    return CPUTime.onThisThread().since(started)
  }

}

/// The scan the semantic cache did before its index: every entry of the key, skipped when its
/// signature is further than a match at the threshold can be, else compared by cosine.
struct ExactScan {
  private let vectors: [QueryVector]
  private let signatures: [UInt64]
  private let threshold: Double
  private let maximumDistance: Int

  init(_ vectors: [QueryVector], threshold: Double) {
    self.vectors = vectors
    signatures = vectors.map(\.signature)
    self.threshold = threshold
    maximumDistance = Self.maximumDistance(threshold: threshold)
  }

  /// The cache's bound: the mean plus 5.5 standard deviations at the threshold's angle.
  static func maximumDistance(threshold: Double) -> Int {
    let p = acos(threshold) / Double.pi
    return min(64, Int((64 * p + 5.5 * (64 * p * (1 - p)).squareRoot()).rounded(.up)))
  }

  /// The index of the most similar vector at or above the threshold.
  func best(_ query: QueryVector) -> Int? {
    var best: (index: Int, similarity: Double)?
    for index in vectors.indices
    where (signatures[index] ^ query.signature).nonzeroBitCount <= maximumDistance {
      let similarity = query.cosine(vectors[index])
      if similarity >= threshold, similarity > best?.similarity ?? -1 {
        best = (index, similarity)
      }
    }
    return best?.index
  }
}

/// Embeddings on disk: "vec1", the texts' digest (u64), count and dimension (u32 each), then
/// the float32 components, all little-endian (this machine's order, checked by the magic).
private enum VectorFile {
  static func write(_ vectors: [[Float]], digest: UInt64) -> Data {
    var data = Data("vec1".utf8)
    withUnsafeBytes(of: digest.littleEndian) { data.append(contentsOf: $0) }
    withUnsafeBytes(of: UInt32(vectors.count).littleEndian) { data.append(contentsOf: $0) }
    withUnsafeBytes(of: UInt32(vectors.first?.count ?? 0).littleEndian) {
      data.append(contentsOf: $0)
    }
    for vector in vectors { vector.withUnsafeBytes { data.append(contentsOf: $0) } }
    return data
  }

  static func read(_ data: Data, digest: UInt64, count: Int) -> [[Float]]? {
    let bytes = [UInt8](data)
    guard bytes.count >= 20, bytes.starts(with: Array("vec1".utf8)) else { return nil }
    return bytes.withUnsafeBytes { raw -> [[Float]]? in
      guard UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 4, as: UInt64.self)) == digest,
        Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self))) == count
      else { return nil }
      let dimensions = Int(
        UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt32.self)))
      guard bytes.count == 20 + count * dimensions * 4 else { return nil }
      return (0..<count).map { row in
        (0..<dimensions).map { column in
          raw.loadUnaligned(fromByteOffset: 20 + (row * dimensions + column) * 4, as: Float.self)
        }
      }
    }
  }
}
