#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The memory behind `SpanAttributes`: one block with `entryCapacity` entries followed by
/// `textCapacity` bytes of text (keys and string values, each followed by a NUL byte).
///
/// `SpanAttributes` copies it before writing whenever it is shared. The header is always
/// reached through its pointer: the `header` property of a class instance would pay a dynamic
/// exclusivity check on every access, about a tenth of a span's cost.
final class SpanAttributeStorage: ManagedBuffer<SpanAttributeStorage.Header, SpanAttributes.Entry> {
  typealias Entry = SpanAttributes.Entry

  struct Header {
    /// Entries in use.
    var count = 0
    let entryCapacity: Int
    /// Text bytes in use.
    var textCount = 0
    let textCapacity: Int
    /// Bit `n % 64` is set once a key of `n` UTF-8 bytes is present: most keys of a span
    /// differ in length, so most lookups of a new key end here.
    var keyLengthBits: UInt64 = 0
    /// Text no entry uses any more (replaced string values), dropped by `copy`.
    var unusedText = 0
    /// Array and byte-string values.
    var boxed: [AttributeValue] = []
    /// Slots of `boxed` no entry uses any more (a boxed value replaced by a scalar or string),
    /// dropped by `copy`.
    var unusedBoxes = 0
    /// Made by `SpanAttributeStoragePool`, which takes it back once its span is exported.
    let isPooled: Bool
  }

  enum SetOutcome {
    case stored
    /// A new key beyond the count limit.
    case dropped
    /// Not enough room for the key and value: `copy` with more first.
    case needsRoom
  }

  static func create(
    entryCapacity: Int, textCapacity: Int, pooled: Bool = false
  ) -> SpanAttributeStorage {
    // Entries hold text offsets and lengths in 32 bits.
    precondition(textCapacity < Int(UInt32.max), "SpanAttributes: over 4 GiB of text")
    let stride = MemoryLayout<Entry>.stride
    let textEntries = (textCapacity + stride - 1) / stride
    let buffer = create(minimumCapacity: entryCapacity + textEntries) { _ in
      Header(entryCapacity: entryCapacity, textCapacity: textEntries * stride, isPooled: pooled)
    }
    let storage = unsafeDowncast(buffer, to: SpanAttributeStorage.self)
    storage.withUnsafeMutablePointerToElements { entries in
      // The text area never holds entries: it is bytes from the start.
      _ = UnsafeMutableRawPointer(entries + entryCapacity).bindMemory(
        to: UInt8.self, capacity: textEntries * stride)
    }
    return storage
  }

  /// Entries in use.
  var count: Int { withUnsafeMutablePointerToHeader { $0.pointee.count } }

  var isPooled: Bool { withUnsafeMutablePointerToHeader { $0.pointee.isPooled } }

  /// Forgets every attribute, keeping the capacity. Entries are plain memory: only the boxed
  /// values need releasing.
  func removeAll() {
    withUnsafeMutablePointerToHeader { header in
      header.pointee.count = 0
      header.pointee.textCount = 0
      header.pointee.keyLengthBits = 0
      header.pointee.unusedText = 0
      if !header.pointee.boxed.isEmpty { header.pointee.boxed = [] }
      header.pointee.unusedBoxes = 0
    }
  }

  /// Sets the value of the entry whose key's UTF-8 is `key`, or appends one unless `count`
  /// reached `countLimit`. `text` is a string value's UTF-8 (empty for other values).
  func set(
    _ key: UnsafeBufferPointer<UInt8>, _ value: AttributeValue, text: UnsafeBufferPointer<UInt8>,
    countLimit: Int
  ) -> SetOutcome {
    withUnsafeMutablePointers { header, entries in
      let textBase = Self.text(header, entries)
      let existing = Self.index(forKey: key, header, entries, textBase)
      if existing == nil {
        guard header.pointee.count < countLimit else { return .dropped }
        guard header.pointee.count < header.pointee.entryCapacity else { return .needsRoom }
      }
      let kind: SpanAttributes.Kind
      var payload: UInt64 = 0
      switch value {
      case .string: kind = .string
      case .bool(let b): (kind, payload) = (.bool, b ? 1 : 0)
      case .int(let i): (kind, payload) = (.int, UInt64(bitPattern: i))
      case .double(let d): (kind, payload) = (.double, d.bitPattern)
      case .stringArray, .boolArray, .intArray, .doubleArray, .bytes: kind = .boxed
      }
      let needed = (existing == nil ? key.count + 1 : 0) + (kind == .string ? text.count + 1 : 0)
      guard header.pointee.textCount + needed <= header.pointee.textCapacity else {
        return .needsRoom
      }
      if kind == .boxed {
        let old = existing.map { entries[$0] }
        guard let slot = Self.boxSlot(for: value, replacing: old, header) else { return .needsRoom }
        payload = UInt64(slot)
      }
      func append(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        let offset = header.pointee.textCount
        if let base = bytes.baseAddress { memcpy(textBase + offset, base, bytes.count) }
        textBase[offset + bytes.count] = 0
        header.pointee.textCount = offset + bytes.count + 1
        return offset
      }
      if kind == .string { payload = UInt64(append(text)) << 32 | UInt64(text.count) }
      if let i = existing {
        let old = entries[i]
        switch old.kind {
        case .string: header.pointee.unusedText += old.stringLength + 1
        case .boxed where kind != .boxed:
          header.pointee.boxed[Int(old.payload)] = .bool(false)
          header.pointee.unusedBoxes += 1
        case .boxed, .bool, .int, .double: break
        }
        entries[i].kind = kind
        entries[i].payload = payload
      } else {
        let keyOffset = UInt32(append(key))
        (entries + header.pointee.count).initialize(
          to: Entry(
            keyOffset: keyOffset, keyLength: UInt32(key.count), kind: kind, payload: payload))
        header.pointee.count += 1
        header.pointee.keyLengthBits |= Self.lengthBit(key.count)
      }
      return .stored
    }
  }

  /// The slot of the boxed values for `value`: the replaced entry's own when it was boxed too,
  /// else a new one; nil while most slots are unused (`copy` drops them first).
  private static func boxSlot(
    for value: AttributeValue, replacing old: Entry?, _ header: UnsafeMutablePointer<Header>
  ) -> Int? {
    if let old, old.kind == .boxed {
      header.pointee.boxed[Int(old.payload)] = value
      return Int(old.payload)
    }
    if header.pointee.unusedBoxes > 8, header.pointee.unusedBoxes > header.pointee.boxed.count / 2 {
      return nil
    }
    header.pointee.boxed.append(value)
    return header.pointee.boxed.count - 1
  }

  /// A copy without the unused text and boxes, with room for one more entry and `text` more
  /// bytes (doubling an area that would otherwise be more than half full).
  func copy(addingText text: Int) -> SpanAttributeStorage {
    let (entryCapacity, textCapacity) = withUnsafeMutablePointerToHeader { h in
      let entries = h.pointee.count + 1
      let text = h.pointee.textCount - h.pointee.unusedText + text
      return (
        entries > h.pointee.entryCapacity / 2
          ? 2 * h.pointee.entryCapacity : h.pointee.entryCapacity,
        Swift.max(
          text,
          text > h.pointee.textCapacity / 2 ? 2 * h.pointee.textCapacity : h.pointee.textCapacity)
      )
    }
    let copy = SpanAttributeStorage.create(entryCapacity: entryCapacity, textCapacity: textCapacity)
    withEntries { entries, oldText, boxed in
      func slice(_ offset: Int, _ length: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: oldText[offset..<offset + length])
      }
      for entry in entries {
        let value: AttributeValue
        var valueText = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
        switch entry.kind {
        case .string:
          value = .string("")
          valueText = slice(entry.stringOffset, entry.stringLength)
        case .bool: value = .bool(entry.payload != 0)
        case .int: value = .int(Int64(bitPattern: entry.payload))
        case .double: value = .double(Double(bitPattern: entry.payload))
        case .boxed: value = boxed[Int(entry.payload)]
        }
        let outcome = copy.set(
          slice(Int(entry.keyOffset), Int(entry.keyLength)), value, text: valueText,
          countLimit: .max)
        assert(outcome == .stored, "SpanAttributeStorage: a copy is too small")
      }
    }
    return copy
  }

  /// Calls `body` with the entries in use, the text and the boxed values.
  func withEntries<R>(
    _ body: (UnsafeBufferPointer<Entry>, UnsafeBufferPointer<UInt8>, [AttributeValue]) -> R
  ) -> R {
    withUnsafeMutablePointers { header, entries in
      body(
        UnsafeBufferPointer(start: entries, count: header.pointee.count),
        UnsafeBufferPointer(start: Self.text(header, entries), count: header.pointee.textCount),
        header.pointee.boxed)
    }
  }

  private static func text(
    _ header: UnsafeMutablePointer<Header>, _ entries: UnsafeMutablePointer<Entry>
  ) -> UnsafeMutablePointer<UInt8> {
    UnsafeMutableRawPointer(entries + header.pointee.entryCapacity)
      .assumingMemoryBound(to: UInt8.self)
  }

  private static func index(
    forKey key: UnsafeBufferPointer<UInt8>, _ header: UnsafeMutablePointer<Header>,
    _ entries: UnsafeMutablePointer<Entry>, _ text: UnsafeMutablePointer<UInt8>
  ) -> Int? {
    guard header.pointee.keyLengthBits & lengthBit(key.count) != 0 else { return nil }
    for i in 0..<header.pointee.count where Int(entries[i].keyLength) == key.count {
      if key.isEmpty || memcmp(text + Int(entries[i].keyOffset), key.baseAddress!, key.count) == 0 {
        return i
      }
    }
    return nil
  }

  private static func lengthBit(_ length: Int) -> UInt64 { 1 << UInt64(length & 63) }
}
