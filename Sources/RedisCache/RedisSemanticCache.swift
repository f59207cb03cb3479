import Foundation
public import Redis
public import Router
import Transport

/// The shared semantic cache of one event loop, in Redis (see `SharedCacheKeys` for the
/// layout). Loop-thread confined.
///
/// A lookup is at most three pipelined round trips within `timeout_ms` in all: the exact entry
/// and the signature's band sets; then the band candidates' vectors, compared by exact cosine;
/// then the best match's answer.
/// A store is one pipeline (entry, bands, recency set, each with the TTL), plus a trim of the
/// oldest entries past `max_entries`. Failures are misses and skipped stores, counted by reason.
public final class RedisSemanticCache: SharedCacheStore {
  private let client: RedisClient
  private let prefix: String
  private let timeoutNanoseconds: UInt64
  private let countError: (RedisError) -> Void

  public init(
    client: RedisClient, prefix: String, timeoutNanoseconds: UInt64,
    countError: @escaping (RedisError) -> Void
  ) {
    self.client = client
    self.prefix = prefix
    self.timeoutNanoseconds = timeoutNanoseconds
    self.countError = countError
  }

  public func lookup(
    key: String, vector: QueryVector, settings: SemanticCacheSettings,
    completion: @escaping (CachedResponse?) -> Void
  ) {
    guard vector.isUsable else {
      completion(nil)
      return
    }
    let space = vector.space
    let keys = SharedCacheKeys(prefix: prefix, cacheKey: key, space: space)
    let exactID = keys.entryID(vector)
    let deadline = Syscall.monotonicNanoseconds() &+ timeoutNanoseconds
    var commands: [[[UInt8]]] = [Self.command("GET", keys.entry(exactID))]
    for band in keys.bandKeys(vector.signature) { commands.append(Self.command("SMEMBERS", band)) }
    client.send(commands) { [self] result in
      guard let replies = checked(result) else {
        completion(nil)
        return
      }
      let threshold = settings.similarityThreshold(for: vector.kind)
      if let bytes = replies[0].bytes, let entry = SharedCacheEntry.decode(bytes, space: space),
        entry.components.withUnsafeBufferPointer({ vector.cosine($0) }) >= threshold
      {
        completion(entry.response)
        return
      }
      var candidates: [String] = []
      var seen: Set<String> = [exactID]
      for reply in replies.dropFirst() {
        for member in reply.elements ?? [] {
          guard let bytes = member.bytes else { continue }
          let id = String(decoding: bytes, as: UTF8.self)
          if seen.insert(id).inserted { candidates.append(id) }
          if candidates.count == SharedCacheKeys.maxCandidates { break }
        }
      }
      let now = Syscall.monotonicNanoseconds()
      guard !candidates.isEmpty, now < deadline else {
        completion(nil)
        return
      }
      // The candidates' vectors only (1 KiB each), then the best one's answer.
      let fetch = [[Array("MGET".utf8)] + candidates.map { Array(keys.vector($0).utf8) }]
      client.send(fetch, timeoutNanoseconds: deadline - now) { [self] result in
        guard let values = checked(result) else {
          completion(nil)
          return
        }
        var best: (id: String, similarity: Double)?
        for (id, value) in zip(candidates, values.first?.elements ?? []) {
          guard let bytes = value.bytes,
            let stored = SharedCacheEntry.decodeComponents(bytes, space: space)
          else { continue }
          let similarity = stored.withUnsafeBufferPointer { vector.cosine($0) }
          if similarity >= threshold, similarity > best?.similarity ?? -1 {
            best = (id, similarity)
          }
        }
        let now = Syscall.monotonicNanoseconds()
        guard let best, now < deadline else {
          completion(nil)
          return
        }
        client.send(
          [Self.command("GET", keys.entry(best.id))], timeoutNanoseconds: deadline - now
        ) { [self] result in
          guard let bytes = checked(result)?.first?.bytes,
            let entry = SharedCacheEntry.decode(bytes, space: space)
          else {
            completion(nil)
            return
          }
          completion(entry.response)
        }
      }
    }
  }

  public func store(
    key: String, vector: QueryVector, response: CachedResponse, settings: SemanticCacheSettings
  ) {
    guard vector.isUsable, response.body.count <= settings.maxAnswerBytes else { return }
    let keys = SharedCacheKeys(prefix: prefix, cacheKey: key, space: vector.space)
    let id = keys.entryID(vector)
    let ttl = String(settings.ttlSeconds)
    var commands: [[[UInt8]]] = [
      [
        Array("SET".utf8), Array(keys.entry(id).utf8),
        SharedCacheEntry.encode(vector: vector, response: response), Array("EX".utf8),
        Array(ttl.utf8),
      ],
      [
        Array("SET".utf8), Array(keys.vector(id).utf8), SharedCacheEntry.encodeVector(vector),
        Array("EX".utf8), Array(ttl.utf8),
      ],
    ]
    for band in keys.bandKeys(vector.signature) {
      commands.append(Self.command("SADD", band, id))
      commands.append(Self.command("EXPIRE", band, ttl))
    }
    // Wall-clock milliseconds: replicas on different hosts order entries alike.
    let now = String(Int64(Date().timeIntervalSince1970 * 1000))
    commands.append(Self.command("ZADD", keys.recency, now, id))
    commands.append(Self.command("EXPIRE", keys.recency, ttl))
    commands.append(Self.command("ZCARD", keys.recency))
    let maxEntries = settings.maxEntries
    client.send(commands) { [self] result in
      guard let replies = checked(result), let count = replies.last?.integer,
        count > maxEntries
      else { return }
      trim(keys, excess: Int(count) - maxEntries)
    }
  }

  /// Drops the `excess` oldest entries of a key (their band memberships expire with the TTL
  /// and are skipped as misses until then).
  private func trim(_ keys: SharedCacheKeys, excess: Int) {
    client.send([Self.command("ZPOPMIN", keys.recency, String(excess))]) { [self] result in
      guard let popped = checked(result)?.first?.elements else { return }
      // ZPOPMIN answers member, score, member, score, ...
      let ids = stride(from: 0, to: popped.count, by: 2).compactMap { popped[$0].bytes }
      guard !ids.isEmpty else { return }
      let trimmed = ids.map { String(decoding: $0, as: UTF8.self) }
      let delete =
        [Array("DEL".utf8)]
        + trimmed.flatMap { [Array(keys.entry($0).utf8), Array(keys.vector($0).utf8)] }
      client.send([delete]) { [self] result in _ = checked(result) }
    }
  }

  /// The replies, or nil after counting the failure or the first error reply.
  private func checked(_ result: Result<[RESPValue], RedisError>) -> [RESPValue]? {
    switch result {
    case .failure(let error):
      countError(error)
      return nil
    case .success(let replies):
      for case .error(let message) in replies {
        countError(.errorReply(message))
        return nil
      }
      return replies
    }
  }

  private static func command(_ parts: String...) -> [[UInt8]] {
    parts.map { Array($0.utf8) }
  }
}

@available(*, unavailable)
extension RedisSemanticCache: Sendable {}
