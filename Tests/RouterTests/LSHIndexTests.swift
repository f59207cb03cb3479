import Testing

@testable import Router

@Suite struct LSHIndexTests {
  /// Unit vectors from a fixed seed, and one at cosine `cosine` with each.
  private static func pairs(count: Int, dimensions: Int, cosine: Float, seed: UInt64)
    -> [(QueryVector, QueryVector)]
  {
    var random = SplitMix64(seed: seed)
    func gaussian() -> [Float] {
      (0..<dimensions).map { _ in
        // Sum of uniforms: close enough to Gaussian for a direction.
        (0..<4).reduce(Float(0)) { sum, _ in sum + Float(random.next() % 2001) / 1000 - 1 }
      }
    }
    return (0..<count).map { _ in
      let base = QueryVector(embedding: gaussian())
      // Orthogonalize noise against base, then mix: cosine exactly `cosine`.
      let noise = gaussian()
      let along = zip(noise, base.components).reduce(Float(0)) { $0 + $1.0 * $1.1 }
      let orthogonal = QueryVector(
        embedding: zip(noise, base.components).map { $0 - along * $1 }
      ).components
      let sine = (1 - cosine * cosine).squareRoot()
      let near = zip(base.components, orthogonal).map { cosine * $0 + sine * $1 }
      return (base, QueryVector(embedding: near))
    }
  }

  @Test func bands_growAsTheThresholdFalls_andStopWhereScanningIsCheaper() throws {
    let lexical = try #require(LSHIndex.bands(forThreshold: 0.95))
    let embedding = try #require(LSHIndex.bands(forThreshold: 0.85))
    #expect(lexical == 8)
    #expect(embedding > lexical)
    #expect(LSHIndex.bands(forThreshold: 0.5) == nil)
    #expect(LSHIndex.bands(forThreshold: 1) == 1)
  }

  /// A match just above the threshold is found nearly always (the design allows 0.5% at the
  /// threshold itself), an unrelated vector rarely offered.
  @Test(arguments: [(0.95, 256), (0.85, 384), (0.80, 384)])
  func aNearVector_isACandidate_andUnrelatedOnesRarely(threshold: Double, dimensions: Int) throws {
    let bands = try #require(LSHIndex.bands(forThreshold: threshold))
    let pairs = Self.pairs(
      count: 400, dimensions: dimensions, cosine: Float(threshold) + 0.01, seed: 7)
    var index = LSHIndex()
    for (slot, pair) in pairs.enumerated() {
      index.insert(
        slot: slot, group: 1,
        codes: HyperplaneHash.bandCodes(of: pair.0.components, bands: bands))
    }
    var found = 0
    var offered = 0
    for (slot, pair) in pairs.enumerated() {
      var candidates = Set<Int>()
      index.forEachCandidate(
        group: 1, codes: HyperplaneHash.bandCodes(of: pair.1.components, bands: bands)
      ) { candidates.insert($0) }
      if candidates.contains(slot) { found += 1 }
      offered += candidates.count - (candidates.contains(slot) ? 1 : 0)
    }
    #expect(found >= 396, "found \(found) of 400")
    // Unrelated random directions: a candidate with probability about bands·17/65,536.
    #expect(offered < 400 * 400 / 20, "\(offered) unrelated candidates")
    // Another group's buckets are never probed.
    var other = 0
    index.forEachCandidate(
      group: 2, codes: HyperplaneHash.bandCodes(of: pairs[0].0.components, bands: bands)
    ) { _ in other += 1 }
    #expect(other == 0)
  }

  @Test func aRemovedSlot_isNeverOffered_andTheOthersStillAre() {
    let vectors = Self.pairs(count: 50, dimensions: 384, cosine: 0.99, seed: 3).map(\.0)
    var index = LSHIndex()
    // Every vector in the same buckets: removal must keep the swapped positions right.
    let codes = HyperplaneHash.bandCodes(of: vectors[0].components, bands: 4)
    for slot in vectors.indices { index.insert(slot: slot, group: 9, codes: codes) }
    for slot in stride(from: 0, to: 50, by: 3) { index.remove(slot: slot) }
    index.remove(slot: 3)  // twice: already gone
    var offered: [Int: Int] = [:]
    index.forEachCandidate(group: 9, codes: codes) { offered[$0, default: 0] += 1 }
    let kept = Set(vectors.indices).subtracting(stride(from: 0, to: 50, by: 3))
    #expect(Set(offered.keys) == kept)
    // Once per band (the exact code); one-bit probes miss the shared code.
    #expect(offered.values.allSatisfy { $0 == 4 })
  }
}
