import Synchronization

/// The category the nearest examples voted for and the share of the vote it won.
public typealias ExampleVote = (category: String, confidence: Double)

/// What the vector cache holds for a query text: its vector and, once a query needed it, the
/// examples' vote on that vector.
public struct CachedEmbedding: Sendable {
  public var vector: [Float]
  public var vote: ExampleVote?
}

/// The vectors of recently classified query texts, so an identical query is not embedded
/// twice, with the examples' vote on each once it was taken, so an identical query does not
/// scan the examples again either (a vector-cache hit is answered on its event loop): at most
/// `capacity` entries, the least recently used dropped first. Shared by the loops (lookups)
/// and the inference threads (stores) under one lock held for a dictionary probe and a few
/// index moves.
final class QueryEmbeddingCache: Sendable {
  private struct Entry {
    var text: String
    var embedding: CachedEmbedding
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

  /// What is stored for `text`, now the most recently used.
  func embedding(for text: String) -> CachedEmbedding? {
    state.withLock { state in
      guard let slot = state.index[text] else { return nil }
      state.unlink(slot)
      state.pushNewest(slot)
      return state.entries[slot].embedding
    }
  }

  /// Keeps `vote` beside `text`'s vector, when it is still stored.
  func storeVote(_ vote: ExampleVote, for text: String) {
    state.withLock { state in
      if let slot = state.index[text] { state.entries[slot].embedding.vote = vote }
    }
  }

  /// Stores `vector` for `text` (with no vote yet), dropping the least recently used entry
  /// when full.
  func store(_ vector: [Float], for text: String) {
    let embedding = CachedEmbedding(vector: vector, vote: nil)
    state.withLock { state in
      if let slot = state.index[text] {
        state.entries[slot].embedding = embedding
        state.unlink(slot)
        state.pushNewest(slot)
        return
      }
      let slot: Int
      if state.entries.count < capacity {
        slot = state.entries.count
        state.entries.append(Entry(text: text, embedding: embedding, newer: -1, older: -1))
      } else {
        slot = state.oldest
        state.unlink(slot)
        state.index[state.entries[slot].text] = nil
        state.entries[slot].text = text
        state.entries[slot].embedding = embedding
      }
      state.index[text] = slot
      state.pushNewest(slot)
    }
  }
}
