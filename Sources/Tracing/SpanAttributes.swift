/// A span's attributes, kept in the form the OTLP encoder wants them.
///
/// One allocation holds a plain `Entry` per attribute followed by the keys and string values as
/// NUL-terminated UTF-8: setting an attribute copies its bytes there, the encoder copies the
/// whole text into its arena at once and points protobuf-c into it (instead of copying every
/// key and value as a C string), and a finished span frees one block instead of releasing
/// every `String` and enum payload. Arrays and byte strings, which spans rarely carry, are
/// kept as `AttributeValue`s on the side. Copy-on-write like the standard collections.
///
/// Reading it as a collection of `SpanAttribute` (tests, the stdout exporter) decodes each one.
/// Setting a key that is present replaces its value in place, keeping the attribute's position.
///
/// `@unchecked Sendable`: the storage (a `ManagedBuffer`, which is never `Sendable`) is copied
/// before a write whenever it is shared, so a value that crossed threads is never written.
public struct SpanAttributes: @unchecked Sendable {
  /// How an entry's `payload` is read.
  enum Kind: UInt8 {
    /// `payload`: the value's offset in the text (high 32 bits) and UTF-8 length (low 32 bits).
    case string
    /// `payload`: 0 or 1.
    case bool
    /// `payload`: the `Int64`'s bit pattern.
    case int
    /// `payload`: the `Double`'s bit pattern.
    case double
    /// `payload`: the value's index in the boxed values.
    case boxed
  }

  /// Where one attribute's key and value are; no references, so it is plain memory.
  struct Entry {
    var keyOffset: UInt32
    var keyLength: UInt32
    var kind: Kind
    var payload: UInt64

    var stringOffset: Int { Int(payload >> 32) }
    var stringLength: Int { Int(payload & 0xFFFF_FFFF) }
  }

  /// Nil until an attribute is set or room is reserved.
  private var storage: SpanAttributeStorage?

  public init() {}

  /// Empty, with room for `count` attributes of typical size allocated now (or reused: up to
  /// `SpanAttributeStoragePool.entryCapacity`, the pool's).
  public init(minimumCapacity count: Int) {
    if count > SpanAttributeStoragePool.entryCapacity {
      storage = .create(entryCapacity: count, textCapacity: count * 32)
    } else if count > 0 {
      storage = SpanAttributeStoragePool.shared.take()
    }
  }

  public init(_ attributes: some Sequence<SpanAttribute>) {
    for attribute in attributes { set(attribute.key, attribute.value) }
  }

  /// Sets `key` to `value`: replaces the value when the key is present, else appends unless
  /// the span already holds `countLimit` attributes. False when the attribute was dropped.
  @discardableResult
  public mutating func set(_ key: String, _ value: AttributeValue, countLimit: Int = .max) -> Bool {
    Self.withUTF8(key) { key in
      guard case .string(let string) = value else {
        return set(
          key, value, text: UnsafeBufferPointer(start: nil, count: 0), countLimit: countLimit)
      }
      return Self.withUTF8(string) { set(key, value, text: $0, countLimit: countLimit) }
    }
  }

  /// `set` with the key's and (for a string) the value's UTF-8 at hand.
  private mutating func set(
    _ key: UnsafeBufferPointer<UInt8>, _ value: AttributeValue, text: UnsafeBufferPointer<UInt8>,
    countLimit: Int
  ) -> Bool {
    if storage == nil {
      storage = .create(entryCapacity: 8, textCapacity: Swift.max(256, key.count + text.count + 2))
    } else if !isKnownUniquelyReferenced(&storage) {
      storage = storage!.copy(addingText: key.count + text.count + 2)
    }
    switch storage!.set(key, value, text: text, countLimit: countLimit) {
    case .stored: return true
    case .dropped: return false
    case .needsRoom:
      storage = storage!.copy(addingText: key.count + text.count + 2)
      return storage!.set(key, value, text: text, countLimit: countLimit) == .stored
    }
  }

  /// The storage, emptied, when the pool made it and no other value shares it; these attributes
  /// are then empty.
  mutating func takePooledStorage() -> SpanAttributeStorage? {
    guard storage?.isPooled == true, isKnownUniquelyReferenced(&storage) else { return nil }
    let taken = storage.take()!
    taken.removeAll()
    return taken
  }

  /// `string`'s UTF-8 without copying it when it is stored contiguously (native strings are).
  private static func withUTF8<R>(_ string: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R
  {
    if let result = string.utf8.withContiguousStorageIfAvailable(body) { return result }
    var string = string
    return string.withUTF8(body)
  }

  /// Calls `body` with the entries, the text they point into (keys and string values, each
  /// followed by a NUL byte), and the boxed values; valid only inside `body`.
  func withEntries<R>(
    _ body: (UnsafeBufferPointer<Entry>, UnsafeBufferPointer<UInt8>, [AttributeValue]) -> R
  ) -> R {
    guard let storage else {
      return body(.init(start: nil, count: 0), .init(start: nil, count: 0), [])
    }
    return storage.withEntries(body)
  }
}

// MARK: - Reading

extension SpanAttributes: RandomAccessCollection {
  public var startIndex: Int { 0 }
  public var endIndex: Int { storage?.count ?? 0 }

  public subscript(position: Int) -> SpanAttribute {
    // The entries are an unsafe buffer, unchecked in release builds.
    precondition(position >= 0 && position < endIndex, "SpanAttributes index out of range")
    return withEntries { entries, text, boxed in
      let entry = entries[position]
      func string(_ offset: Int, _ length: Int) -> String {
        String(
          decoding: UnsafeBufferPointer(rebasing: text[offset..<offset + length]), as: UTF8.self)
      }
      let key = string(Int(entry.keyOffset), Int(entry.keyLength))
      switch entry.kind {
      case .string:
        return SpanAttribute(key, .string(string(entry.stringOffset, entry.stringLength)))
      case .bool: return SpanAttribute(key, .bool(entry.payload != 0))
      case .int: return SpanAttribute(key, .int(Int64(bitPattern: entry.payload)))
      case .double: return SpanAttribute(key, .double(Double(bitPattern: entry.payload)))
      case .boxed: return SpanAttribute(key, boxed[Int(entry.payload)])
      }
    }
  }
}

extension SpanAttributes: ExpressibleByArrayLiteral, Equatable {
  public init(arrayLiteral attributes: SpanAttribute...) {
    self.init(attributes)
  }

  /// The same attributes in the same order (however the storage got there).
  public static func == (lhs: SpanAttributes, rhs: SpanAttributes) -> Bool {
    lhs.elementsEqual(rhs)
  }
}
