/// A header block as it is received, held within the header list limits: a field is copied
/// only while the list stays within `maxBytes` (counted as RFC 9113 §6.5.2 counts
/// SETTINGS_MAX_HEADER_LIST_SIZE: name + value + 32 per field) and `maxCount` fields.
///
/// HPACK lets a peer name a large dynamic-table entry with one byte, so a block's decoded size
/// can be thousands of times its size on the wire; checking before the copy bounds what a
/// hostile block costs by the limits, not by what it decodes to.
struct HTTP2ReceivedHeaderList {
  /// The limit a refused field would have passed.
  enum Exceeded: Sendable, Equatable {
    case size
    case count
  }

  /// Per-field overhead RFC 9113 §6.5.2 adds to the name and value lengths.
  static let fieldOverhead = 32

  let maxBytes: Int
  let maxCount: Int
  /// The fields kept so far.
  private(set) var headers: [HTTP2Header] = []
  /// Their size as SETTINGS_MAX_HEADER_LIST_SIZE counts it.
  private(set) var size = 0

  init(maxBytes: Int, maxCount: Int) {
    self.maxBytes = maxBytes
    self.maxCount = maxCount
  }

  /// Copies one field in, or leaves the list as it is and says which limit the field would
  /// pass.
  mutating func append(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>)
    -> Exceeded?
  {
    let fieldSize = name.count + value.count + Self.fieldOverhead
    guard fieldSize <= maxBytes - size else { return .size }
    guard headers.count < maxCount else { return .count }
    size += fieldSize
    headers.append(
      HTTP2Header(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
    return nil
  }

  /// Hands over the complete block and starts an empty one (a later block, e.g. trailers).
  mutating func take() -> [HTTP2Header] {
    let block = headers
    discard()
    return block
  }

  /// Drops what was kept (the block was refused).
  mutating func discard() {
    headers = []
    size = 0
  }
}
