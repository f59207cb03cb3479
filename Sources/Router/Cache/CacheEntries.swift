/// The entries of a `SemanticCache`, not thread-safe (the cache locks around it).
///
/// Entries live in slots of parallel arrays; each group (cache key and vector space) has the
/// list of its slots, and a doubly linked recency list runs through all slots. A lookup touches
/// only its group's slots, so vectors of another space are never compared, and storing,
/// evicting the least recently used entry and removing one are O(1), however many groups the
/// cache holds, and so is keeping the total of the entries' sizes. Freed slots are reused.
struct CacheEntries {
  private var signatures: [UInt64] = []
  private var vectors: [QueryVector] = []
  private var responses: [CachedResponse] = []
  private var storedAt: [ContinuousClock.Instant] = []
  private var groups: [CacheGroup] = []
  /// Each slot's size in bytes, as given when it was stored.
  private var sizes: [Int] = []
  /// Each slot's index in its key's list.
  private var positions: [Int] = []
  /// The recency list: the next more and less recently used slot, -1 at the ends.
  private var newer: [Int] = []
  private var older: [Int] = []
  private var newest = -1
  private var oldest = -1
  private var freeSlots: [Int] = []
  private var slotsByGroup: [CacheGroup: [Int]] = [:]

  /// Entries held.
  private(set) var count = 0
  /// The sizes of the entries held, summed.
  private(set) var bytes = 0

  /// The slots stored in `group`.
  func slots(in group: CacheGroup) -> [Int] { slotsByGroup[group] ?? [] }

  func signature(_ slot: Int) -> UInt64 { signatures[slot] }
  func response(_ slot: Int) -> CachedResponse { responses[slot] }
  func storedAt(_ slot: Int) -> ContinuousClock.Instant { storedAt[slot] }

  /// Cosine similarity of the slot's vector with `vector`.
  func cosine(_ slot: Int, _ vector: QueryVector) -> Double {
    vectors[slot].cosine(vector)
  }

  /// The least recently used slot, if any.
  var leastRecentlyUsed: Int? { oldest >= 0 ? oldest : nil }

  /// Every slot in use, least recently used first.
  var slotsByRecency: [Int] {
    var result: [Int] = []
    result.reserveCapacity(count)
    var slot = oldest
    while slot >= 0 {
      result.append(slot)
      slot = newer[slot]
    }
    return result
  }

  /// Adds an entry of `size` bytes to `group` as the most recently used.
  mutating func insert(
    group: CacheGroup, signature: UInt64, vector: QueryVector, response: CachedResponse, size: Int,
    now: ContinuousClock.Instant
  ) {
    let slot: Int
    if let reused = freeSlots.popLast() {
      slot = reused
      signatures[slot] = signature
      vectors[slot] = vector
      responses[slot] = response
      storedAt[slot] = now
      groups[slot] = group
      sizes[slot] = size
    } else {
      slot = signatures.count
      signatures.append(signature)
      vectors.append(vector)
      responses.append(response)
      storedAt.append(now)
      groups.append(group)
      sizes.append(size)
      positions.append(0)
      newer.append(-1)
      older.append(-1)
    }
    positions[slot] = slotsByGroup[group, default: []].count
    slotsByGroup[group, default: []].append(slot)
    linkAsNewest(slot)
    count += 1
    bytes += size
  }

  /// Gives a slot a new vector and response of `size` bytes, stored now, and marks it most
  /// recently used.
  mutating func replace(
    _ slot: Int, signature: UInt64, vector: QueryVector, response: CachedResponse, size: Int,
    now: ContinuousClock.Instant
  ) {
    bytes += size - sizes[slot]
    sizes[slot] = size
    signatures[slot] = signature
    vectors[slot] = vector
    responses[slot] = response
    storedAt[slot] = now
    touch(slot)
  }

  /// Marks a slot most recently used.
  mutating func touch(_ slot: Int) {
    guard newest != slot else { return }
    unlink(slot)
    linkAsNewest(slot)
  }

  /// Frees a slot (its response is released at once).
  mutating func remove(_ slot: Int) {
    let group = groups[slot]
    let position = positions[slot]
    // Taken out and put back, so the list is not copied. Swap-remove: the group's last slot
    // takes this one's place.
    var list = slotsByGroup.removeValue(forKey: group) ?? []
    let moved = list[list.count - 1]
    list[position] = moved
    positions[moved] = position
    list.removeLast()
    if !list.isEmpty { slotsByGroup[group] = list }
    unlink(slot)
    responses[slot] = CachedResponse(body: [], contentType: "")
    vectors[slot] = .empty
    groups[slot] = CacheGroup(key: "", space: QueryVector.empty.space)
    bytes -= sizes[slot]
    sizes[slot] = 0
    freeSlots.append(slot)
    count -= 1
  }

  /// Drops every entry and slot.
  mutating func removeAll() {
    self = CacheEntries()
  }

  private mutating func linkAsNewest(_ slot: Int) {
    older[slot] = newest
    newer[slot] = -1
    if newest >= 0 { newer[newest] = slot } else { oldest = slot }
    newest = slot
  }

  private mutating func unlink(_ slot: Int) {
    let before = older[slot]
    let after = newer[slot]
    if before >= 0 { newer[before] = after } else { oldest = after }
    if after >= 0 { older[after] = before } else { newest = before }
    older[slot] = -1
    newer[slot] = -1
  }
}

/// Where an entry is looked up: its cache key and its vector's space (a lookup never compares
/// vectors of another space, e.g. after a reload switched the classifier).
struct CacheGroup: Hashable {
  var key: String
  var space: QueryVector.Space
}
