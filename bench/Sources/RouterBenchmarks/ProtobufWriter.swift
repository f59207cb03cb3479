/// A minimal protobuf wire-format writer: varints, length-delimited fields and nested messages.
/// Enough to write the ext_proc messages Envoy would send, so the benchmark feeds the ext_proc
/// handler real wire bytes.
struct ProtobufWriter {
  private(set) var bytes: [UInt8] = []

  /// Appends `value` as a base-128 varint.
  mutating func varint(_ value: UInt64) {
    var rest = value
    while rest >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
      rest >>= 7
    }
    bytes.append(UInt8(rest))
  }

  /// A varint field (wire type 0).
  mutating func varintField(_ field: UInt64, _ value: UInt64) {
    varint(field << 3)
    varint(value)
  }

  /// A length-delimited field (wire type 2) holding `value`.
  mutating func bytesField(_ field: UInt64, _ value: some Collection<UInt8>) {
    varint(field << 3 | 2)
    varint(UInt64(value.count))
    bytes.append(contentsOf: value)
  }

  /// A string field.
  mutating func stringField(_ field: UInt64, _ value: String) {
    bytesField(field, value.utf8)
  }

  /// A nested message field whose content `write` produces.
  mutating func messageField(_ field: UInt64, _ write: (inout ProtobufWriter) -> Void) {
    var nested = ProtobufWriter()
    write(&nested)
    bytesField(field, nested.bytes)
  }
}
