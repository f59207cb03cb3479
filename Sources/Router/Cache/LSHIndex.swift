import Foundation

/// The semantic cache's index: locality-sensitive hashing with random-hyperplane bands, so a
/// lookup compares the query with the entries that share a band with it instead of every
/// entry of its group.
///
/// Each entry has `bands` codes of `bitsPerBand` hyperplane bits (`HyperplaneHash.bandCodes`)
/// and sits in one bucket per band. A lookup probes, in each band, its own code and the
/// `bitsPerBand` codes one bit away (multi-probe), and the cache checks the candidates found
/// by exact cosine. Two vectors at angle θ agree on a bit with probability q = 1 − θ/π, so a
/// band probe finds a match with probability q¹⁶ + 16·q¹⁵·(1 − q); `bands(forThreshold:)`
/// takes enough bands that a match at the threshold is missed with probability below 0.5%
/// (more similar ones far less), while an unrelated vector (q = ½) is a candidate in a band
/// with probability 17/65,536.
///
/// Not thread-safe (the cache locks around it); slots are `CacheEntries`' slots.
struct LSHIndex {
  static let bitsPerBand = 16
  /// Above this many bands (thresholds below about cosine 0.74) the index would probe more
  /// buckets than a group usually has entries: such a cache scans instead.
  static let maxBands = 64
  /// Below this many entries in a group, the cache scans it (each entry's signature, then the
  /// cosine of the few left) instead of probing: cheaper there, and exact. `bench/cache_index.sh`
  /// measured the scan at half the probes' CPU with 1,000 random 384-dimension entries and the
  /// probes at less than half the scan's with 10,000.
  static let minimumIndexedGroup = 3000
  /// The miss probability `bands(forThreshold:)` allows for a match exactly at the threshold.
  static let missProbability = 0.005

  /// Bucket keys: group id (high 32 bits), band (16 bits), code (low 16 bits).
  private var buckets: [UInt64: [Int32]] = [:]
  /// Per slot: its bucket key and position there, one per band (empty for a free slot).
  private var memberships: [[Membership]] = []

  private struct Membership {
    var key: UInt64
    var position: Int32
  }

  /// The bands needed at `threshold` for the miss probability above; nil when more than
  /// `maxBands` (the cache then scans).
  static func bands(forThreshold threshold: Double) -> Int? {
    let q = 1 - acos(min(max(threshold, -1), 1)) / Double.pi
    let bits = Double(bitsPerBand)
    let found = pow(q, bits) + bits * pow(q, bits - 1) * (1 - q)
    guard found < 1 else { return 1 }
    let bands = (log(missProbability) / log(1 - found)).rounded(.up)
    return bands <= Double(maxBands) ? max(1, Int(bands)) : nil
  }

  /// Adds `slot` of group `group` with its band codes.
  mutating func insert(slot: Int, group: UInt32, codes: [UInt16]) {
    while memberships.count <= slot { memberships.append([]) }
    var slotMemberships: [Membership] = []
    slotMemberships.reserveCapacity(codes.count)
    for (band, code) in codes.enumerated() {
      let key = Self.key(group: group, band: band, code: code)
      var bucket = buckets.removeValue(forKey: key) ?? []
      slotMemberships.append(Membership(key: key, position: Int32(bucket.count)))
      bucket.append(Int32(slot))
      buckets[key] = bucket
    }
    memberships[slot] = slotMemberships
  }

  /// Takes `slot` out of its buckets (swap-remove: each bucket's last slot takes its place).
  mutating func remove(slot: Int) {
    guard slot < memberships.count else { return }
    for membership in memberships[slot] {
      // Taken out and put back, so the bucket is not copied.
      guard var bucket = buckets.removeValue(forKey: membership.key) else { continue }
      let position = Int(membership.position)
      let moved = Int(bucket[bucket.count - 1])
      bucket[position] = Int32(moved)
      bucket.removeLast()
      if moved != slot {
        let band = Int((membership.key >> 16) & 0xFFFF)
        memberships[moved][band].position = Int32(position)
      }
      if !bucket.isEmpty { buckets[membership.key] = bucket }
    }
    memberships[slot] = []
  }

  /// Calls `body` with every slot of `group` in a probed bucket of `codes` (a slot may come
  /// more than once, from several bands).
  func forEachCandidate(group: UInt32, codes: [UInt16], _ body: (Int) -> Void) {
    for (band, code) in codes.enumerated() {
      for flip in -1..<Self.bitsPerBand {
        let probe = flip < 0 ? code : code ^ (1 << UInt16(flip))
        guard let bucket = buckets[Self.key(group: group, band: band, code: probe)] else {
          continue
        }
        for slot in bucket { body(Int(slot)) }
      }
    }
  }

  private static func key(group: UInt32, band: Int, code: UInt16) -> UInt64 {
    UInt64(group) << 32 | UInt64(band) << 16 | UInt64(code)
  }
}
