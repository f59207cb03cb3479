import Synchronization

/// Random-hyperplane hashes (SimHash) of vectors of any dimension: each bit says on which side
/// of a fixed pseudo-random hyperplane the vector lies, so two vectors at angle θ differ in each
/// bit with probability θ/π.
///
/// The hyperplanes are rows of H·D: the vector is zero-padded to a power of two P, D flips the
/// sign of each dimension at random and H is the P-point Walsh–Hadamard matrix, so a fast
/// transform projects onto P hyperplanes in log₂P passes of additions instead of P dot
/// products. The same seeds in every process, so replicas sharing a Redis cache agree.
enum HyperplaneHash {
  /// The 64-bit signature of `QueryVector`: one H·D rotation, 64 of its P rows. For 256
  /// dimensions these are the bits stored Redis entries were banded by before vectors had
  /// other dimensions.
  static func signature(of components: [Float]) -> UInt64 {
    let size = paddedSize(components.count)
    return withRotation(of: components, size: size, rounds: [signatureSeed]) { projected in
      var bits: UInt64 = 0
      for bit in 0..<64 where projected[bit * (size / 64)] > 0 {
        bits |= 1 << UInt64(bit)
      }
      return bits
    }
  }

  /// `bands` codes of `bitsPerBand` bits for `LSHIndex`, from hyperplanes independent of the
  /// signature's: rounds of H·D₂·H·D₁ (two rotations, so each hyperplane is dense with
  /// Gaussian-like weights, not ±1), P bits per round.
  static func bandCodes(of components: [Float], bands: Int) -> [UInt16] {
    let size = paddedSize(components.count)
    let bandsPerRound = size / LSHIndex.bitsPerBand
    var codes: [UInt16] = []
    codes.reserveCapacity(bands)
    var round: UInt64 = 0
    while codes.count < bands {
      let seeds = [bandSeed &+ 2 * round, bandSeed &+ 2 * round &+ 1]
      withRotation(of: components, size: size, rounds: seeds) { projected in
        for band in 0..<min(bandsPerRound, bands - codes.count) {
          var code: UInt16 = 0
          for bit in 0..<LSHIndex.bitsPerBand
          where projected[band * LSHIndex.bitsPerBand + bit] > 0 {
            code |= 1 << UInt16(bit)
          }
          codes.append(code)
        }
      }
      round += 1
    }
    return codes
  }

  private static let signatureSeed: UInt64 = 0x51_6E_48_61_73_68
  private static let bandSeed: UInt64 = 0x4C_53_48_42_61_6E_64

  /// The power of two at or above `dimensions`, at least 64 (one bit per row of a signature).
  private static func paddedSize(_ dimensions: Int) -> Int {
    var size = 64
    while size < dimensions { size *= 2 }
    return size
  }

  /// Calls `body` with (H·D_k)···(H·D_1)·x for the seeds' sign diagonals, x zero-padded.
  private static func withRotation<Result>(
    of components: [Float], size: Int, rounds seeds: [UInt64],
    _ body: (UnsafeMutablePointer<Float>) -> Result
  ) -> Result {
    withUnsafeTemporaryAllocation(of: Float.self, capacity: size) { buffer in
      let projected = buffer.baseAddress!
      projected.initialize(repeating: 0, count: size)
      components.withUnsafeBufferPointer { components in
        projected.update(from: components.baseAddress!, count: components.count)
      }
      for seed in seeds {
        signs(size: size, seed: seed).withUnsafeBufferPointer { signs in
          for index in stride(from: 0, to: size, by: 8) {
            projected.storeSIMD8(
              at: index, projected.loadSIMD8(at: index) * signs.loadSIMD8(at: index))
          }
        }
        walshHadamard(projected, size: size)
      }
      return body(projected)
    }
  }

  /// The fast Walsh–Hadamard transform in place (unnormalized; only signs are read).
  private static func walshHadamard(_ values: UnsafeMutablePointer<Float>, size: Int) {
    // Butterflies within each run of eight, then across runs eight lanes at a time.
    var half = 1
    while half < 8 {
      for start in stride(from: 0, to: size, by: 2 * half) {
        for index in start..<(start + half) {
          let a = values[index]
          let b = values[index + half]
          values[index] = a + b
          values[index + half] = a - b
        }
      }
      half *= 2
    }
    while half < size {
      for start in stride(from: 0, to: size, by: 2 * half) {
        for index in stride(from: start, to: start + half, by: 8) {
          let a = values.loadSIMD8(at: index)
          let b = values.loadSIMD8(at: index + half)
          values.storeSIMD8(at: index, a + b)
          values.storeSIMD8(at: index + half, a - b)
        }
      }
      half *= 2
    }
  }

  private struct SignsKey: Hashable {
    var size: Int
    var seed: UInt64
  }

  /// Sign diagonals made so far: a few (one per padded size and seed in use), each made once.
  private static let signTables = Mutex<[SignsKey: [Float]]>([:])

  /// A diagonal of ±1 from `seed`; the first entries are the same for every size.
  private static func signs(size: Int, seed: UInt64) -> [Float] {
    let key = SignsKey(size: size, seed: seed)
    if let signs = signTables.withLock({ $0[key] }) { return signs }
    var random = SplitMix64(seed: seed)
    let signs: [Float] = (0..<size).map { _ in random.next() & 1 == 1 ? -1 : 1 }
    signTables.withLock { $0[key] = signs }
    return signs
  }
}

extension UnsafeMutablePointer<Float> {
  @inline(__always)
  fileprivate func loadSIMD8(at index: Int) -> SIMD8<Float> {
    UnsafeRawPointer(self + index).loadUnaligned(as: SIMD8<Float>.self)
  }

  @inline(__always)
  fileprivate func storeSIMD8(at index: Int, _ value: SIMD8<Float>) {
    UnsafeMutableRawPointer(self + index).storeBytes(of: value, as: SIMD8<Float>.self)
  }
}
