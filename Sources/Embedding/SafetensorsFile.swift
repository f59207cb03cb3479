import Foundation

/// A safetensors file, memory-mapped, with its header validated
/// (https://huggingface.co/docs/safetensors: an 8-byte little-endian header length, a JSON
/// header naming each tensor's dtype, shape and `data_offsets`, then the data).
///
/// Every offset, shape and dtype is checked before a byte is read, so a truncated or hostile file
/// is an `EmbeddingError` naming the file and the field, never a crash.
public struct SafetensorsFile: Sendable {
  /// The largest header accepted (the format's own limit).
  public static let maximumHeaderSize = 100_000_000

  /// The path the file was opened with.
  public var path: String { file.path }
  /// The tensors by name.
  public let tensors: [String: SafetensorsTensor]
  private let file: MappedFile

  public init(path: String) throws {
    file = try MappedFile(path: path)
    tensors = try Self.parse(file)
  }

  /// The tensor called `name`, or an error naming it.
  public func tensor(_ name: String) throws -> SafetensorsTensor {
    guard let tensor = tensors[name] else {
      throw EmbeddingError(file: path, field: name, reason: "tensor missing")
    }
    return tensor
  }

  private static func parse(_ file: MappedFile) throws -> [String: SafetensorsTensor] {
    let bytes = file.bytes
    func fail(_ field: String, _ reason: String) -> EmbeddingError {
      EmbeddingError(file: file.path, field: field, reason: reason)
    }
    guard bytes.count >= 8 else {
      throw fail("header length", "file is \(bytes.count) bytes, shorter than the 8-byte length")
    }
    let headerLength = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
    guard headerLength <= UInt64(min(maximumHeaderSize, bytes.count - 8)) else {
      throw fail(
        "header length", "\(headerLength) bytes does not fit the file (\(bytes.count) bytes)")
    }
    let dataStart = 8 + Int(headerLength)
    let header = Data(bytes[8..<dataStart])
    guard let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else {
      throw fail("header", "not a JSON object")
    }
    let data = UnsafeRawBufferPointer(rebasing: bytes[dataStart...])
    var tensors: [String: SafetensorsTensor] = [:]
    var ranges: [(range: Range<Int>, name: String)] = []
    for (name, value) in object where name != "__metadata__" {
      guard let entry = value as? [String: Any] else { throw fail(name, "not a JSON object") }
      guard let dtypeName = entry["dtype"] as? String else {
        throw fail("\(name).dtype", "missing or not a string")
      }
      guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
        throw fail("\(name).dtype", "unknown dtype \(dtypeName)")
      }
      let shape = try integers(entry["shape"], field: "\(name).shape", fail: fail)
      let offsets = try integers(
        entry["data_offsets"], field: "\(name).data_offsets", fail: fail)
      guard offsets.count == 2, offsets[0] <= offsets[1], offsets[1] <= data.count else {
        throw fail(
          "\(name).data_offsets",
          "\(offsets) is not a [begin, end] range inside the \(data.count) data bytes")
      }
      var length = dtype.size
      for dimension in shape {
        let (product, overflow) = length.multipliedReportingOverflow(by: dimension)
        guard !overflow else { throw fail("\(name).shape", "\(shape) overflows") }
        length = product
      }
      guard length == offsets[1] - offsets[0] else {
        throw fail(
          "\(name).data_offsets",
          "\(offsets[1] - offsets[0]) bytes, but shape \(shape) of \(dtypeName) needs \(length)")
      }
      let range = offsets[0]..<offsets[1]
      ranges.append((range, name))
      tensors[name] = SafetensorsTensor(
        name: name, dtype: dtype, shape: shape,
        bytes: UnsafeRawBufferPointer(rebasing: data[range]))
    }
    ranges.sort {
      ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound)
    }
    for (previous, next) in zip(ranges, ranges.dropFirst())
    where next.range.lowerBound < previous.range.upperBound && !next.range.isEmpty {
      throw fail("\(next.name).data_offsets", "overlaps tensor \(previous.name)")
    }
    return tensors
  }

  private static func integers(
    _ value: Any?, field: String, fail: (String, String) -> EmbeddingError
  ) throws -> [Int] {
    guard let numbers = value as? [NSNumber] else { throw fail(field, "missing or not an array") }
    return try numbers.map { number in
      let double = number.doubleValue
      guard double >= 0, double <= 1e15, double == double.rounded() else {
        throw fail(field, "\(number) is not a non-negative integer")
      }
      return Int(double)
    }
  }
}
