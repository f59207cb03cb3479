/// The entries of a `SemanticCache`, not thread-safe (the cache locks around it).
///
/// Entries live in slots of parallel arrays; each group (cache key and vector space) has the
/// list of its slots, and a doubly linked recency list runs through all slots. A lookup touches
/// only its group's slots that the `LSHIndex` offers as candidates (or all of them when the
/// cache scans), so vectors of another space are never compared. Storing, evicting the least
/// recently used entry and removing one cost O(bands), however many entries and groups the
/// cache holds, and so does keeping the total of the entries' sizes. Freed slots are reused.
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
  private var slotsByGroup: [CacheGroup: GroupSlots] = [:]
  private var nextGroupID: UInt32 = 0
  private var index = LSHIndex()
  /// The lookup that last offered each slot as a candidate, so each is offered once.
  private var offeredBy: [UInt32] = []
  private var lookupNumber: UInt32 = 0

  /// A group's index id (its buckets' prefix) and slots.
  private struct GroupSlots {
    var id: UInt32
    var slots: [Int]
  }

  /// Entries held.
  private(set) var count = 0
  /// The sizes of the entries held, summed.
  private(set) var bytes = 0

  /// The slots of `group` that may hold a vector near the one of band codes `codes`: those
  /// sharing a probed bucket, or all of the group's when `codes` is nil (the cache scans) or
  /// the group is smaller than `LSHIndex.minimumIndexedGroup`.
  mutating func candidates(in group: CacheGroup, codes: [UInt16]?) -> [Int] {
    guard let entry = slotsByGroup[group] else { return [] }
    guard let codes, entry.slots.count >= LSHIndex.minimumIndexedGroup else { return entry.slots }
    lookupNumber &+= 1
    if lookupNumber == 0 {
      // Wrapped: forget old marks so none equals a new number by chance.
      for slot in offeredBy.indices { offeredBy[slot] = 0 }
      lookupNumber = 1
    }
    var result: [Int] = []
    let number = lookupNumber
    index.forEachCandidate(group: entry.id, codes: codes) { slot in
      if offeredBy[slot] != number {
        offeredBy[slot] = number
        result.append(slot)
      }
    }
    return result
  }

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

  /// Adds an entry of `size` bytes to `group` as the most recently used, indexed by its band
  /// codes (none when the cache scans).
  mutating func insert(
    group: CacheGroup, signature: UInt64, vector: QueryVector, codes: [UInt16]?,
    response: CachedResponse, size: Int, now: ContinuousClock.Instant
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
      offeredBy.append(0)
    }
    var entry = slotsByGroup.removeValue(forKey: group) ?? newGroup()
    positions[slot] = entry.slots.count
    entry.slots.append(slot)
    slotsByGroup[group] = entry
    if let codes { index.insert(slot: slot, group: entry.id, codes: codes) }
    linkAsNewest(slot)
    count += 1
    bytes += size
  }

  /// Gives a slot a new vector and response of `size` bytes, stored now, and marks it most
  /// recently used.
  mutating func replace(
    _ slot: Int, signature: UInt64, vector: QueryVector, codes: [UInt16]?,
    response: CachedResponse, size: Int, now: ContinuousClock.Instant
  ) {
    if let codes, let id = slotsByGroup[groups[slot]]?.id {
      index.remove(slot: slot)
      index.insert(slot: slot, group: id, codes: codes)
    }
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
    if var entry = slotsByGroup.removeValue(forKey: group) {
      let moved = entry.slots[entry.slots.count - 1]
      entry.slots[position] = moved
      positions[moved] = position
      entry.slots.removeLast()
      if !entry.slots.isEmpty { slotsByGroup[group] = entry }
    }
    index.remove(slot: slot)
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

  /// A group with a fresh id (a live group's id comes again only after 2³² new groups).
  private mutating func newGroup() -> GroupSlots {
    nextGroupID &+= 1
    return GroupSlots(id: nextGroupID, slots: [])
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
