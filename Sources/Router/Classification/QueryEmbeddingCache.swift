import Synchronization

/// The vectors of recently classified query texts, so an identical query is not embedded
/// twice: at most `capacity` entries, the least recently used dropped first. Shared by the
/// loops (lookups) and the inference threads (stores) under one lock held for a dictionary
/// probe and a few index moves.
final class QueryEmbeddingCache: Sendable {
  private struct Entry {
    var text: String
    var vector: [Float]
    var newer: Int
    var older: Int
  }

  private struct State {
    var index: [String: Int] = [:]
    var entries: [Entry] = []
    /// Most and least recently used slots; -1 when empty.
    var newest = -1
    var oldest = -1

    mutating func unlink(_ slot: Int) {
      let (newer, older) = (entries[slot].newer, entries[slot].older)
      if newer >= 0 { entries[newer].older = older } else { newest = older }
      if older >= 0 { entries[older].newer = newer } else { oldest = newer }
    }

    mutating func pushNewest(_ slot: Int) {
      entries[slot].newer = -1
      entries[slot].older = newest
      if newest >= 0 { entries[newest].newer = slot }
      newest = slot
      if oldest < 0 { oldest = slot }
    }
  }

  let capacity: Int
  private let state = Mutex(State())

  init(capacity: Int) {
    precondition(capacity > 0)
    self.capacity = capacity
  }

  /// The vector stored for `text`, now the most recently used.
  func vector(for text: String) -> [Float]? {
    state.withLock { state in
      guard let slot = state.index[text] else { return nil }
      state.unlink(slot)
      state.pushNewest(slot)
      return state.entries[slot].vector
    }
  }

  /// Stores `vector` for `text`, dropping the least recently used entry when full.
  func store(_ vector: [Float], for text: String) {
    state.withLock { state in
      if let slot = state.index[text] {
        state.entries[slot].vector = vector
        state.unlink(slot)
        state.pushNewest(slot)
        return
      }
      let slot: Int
      if state.entries.count < capacity {
        slot = state.entries.count
        state.entries.append(Entry(text: text, vector: vector, newer: -1, older: -1))
      } else {
        slot = state.oldest
        state.unlink(slot)
        state.index[state.entries[slot].text] = nil
        state.entries[slot].text = text
        state.entries[slot].vector = vector
      }
      state.index[text] = slot
      state.pushNewest(slot)
    }
  }
}
