import Foundation

/// The examples' vectors stored between restarts, keyed by the model's and the examples'
/// digests. Layout (little-endian): magic `SRXV0001`, model digest, examples digest (u64 each),
/// dimension, row count (u32 each), payload digest (u64), then the labels (i32 per row) and
/// the vectors (f32). A file that is short, long, of another key or whose payload does not
/// match its digest is never trusted: `read` says why and the caller embeds again.
struct ExampleVectorsFile {
  static let magic = Array("SRXV0001".utf8)
  static let headerSize = 8 + 8 + 8 + 4 + 4 + 8

  let path: String
  let modelDigest: UInt64
  let examplesDigest: UInt64

  /// Why a stored file was not used (for the log).
  enum Rejection: Error, Equatable, CustomStringConvertible {
    case missing
    case corrupt(String)
    case otherKey

    var description: String {
      switch self {
      case .missing: "no file yet"
      case .corrupt(let reason): "corrupt (\(reason))"
      case .otherKey: "made from another model or other examples"
      }
    }
  }

  struct RenameError: Error, CustomStringConvertible {
    var path: String
    var errno: Int32
    var description: String { "cannot rename onto \(path): \(String(cString: strerror(errno)))" }
  }

  /// The stored vectors when the file holds exactly this key's vectors.
  func read() -> Result<ExampleVectors, Rejection> {
    guard let data = FileManager.default.contents(atPath: path) else { return .failure(.missing) }
    return data.withUnsafeBytes { bytes in
      guard bytes.count >= Self.headerSize else { return .failure(.corrupt("truncated header")) }
      guard Array(bytes[0..<8]) == Self.magic else { return .failure(.corrupt("bad magic")) }
      func u64(_ offset: Int) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
      }
      func u32(_ offset: Int) -> Int {
        Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
      }
      guard u64(8) == modelDigest, u64(16) == examplesDigest else { return .failure(.otherKey) }
      let dimension = u32(24)
      let rows = u32(28)
      let payload = UnsafeRawBufferPointer(rebasing: bytes[Self.headerSize...])
      // Both sizes come from the file: a product past Int must be an error, not a trap.
      let (size, overflow) = rows.multipliedReportingOverflow(by: (dimension + 1) * 4)
      guard dimension > 0, !overflow, payload.count == size else {
        return .failure(.corrupt("size does not match \(rows) rows of \(dimension)"))
      }
      var digest = ContentDigest()
      digest.add(payload)
      guard digest.value == u64(32) else { return .failure(.corrupt("payload digest")) }
      let labels = (0..<rows).map {
        Int32(littleEndian: payload.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self))
      }
      let vectors = (0..<(rows * dimension)).map {
        Float(
          bitPattern: UInt32(
            littleEndian: payload.loadUnaligned(
              fromByteOffset: rows * 4 + $0 * 4, as: UInt32.self)))
      }
      guard vectors.allSatisfy(\.isFinite) else { return .failure(.corrupt("non-finite value")) }
      return .success(ExampleVectors(dimension: dimension, vectors: vectors, labels: labels))
    }
  }

  /// Stores `vectors` under this key: written to a temporary file and renamed over the old one,
  /// so a reader never sees half a file.
  func write(_ vectors: ExampleVectors) throws {
    var payload: [UInt8] = []
    payload.reserveCapacity(vectors.count * 4 * (1 + vectors.dimension))
    for label in vectors.labels { withUnsafeBytes(of: label.littleEndian) { payload += $0 } }
    for value in vectors.vectors {
      withUnsafeBytes(of: value.bitPattern.littleEndian) { payload += $0 }
    }
    var digest = ContentDigest()
    digest.add(payload)
    var file = Self.magic
    for word in [modelDigest, examplesDigest] {
      withUnsafeBytes(of: word.littleEndian) { file += $0 }
    }
    for word in [UInt32(vectors.dimension), UInt32(vectors.count)] {
      withUnsafeBytes(of: word.littleEndian) { file += $0 }
    }
    withUnsafeBytes(of: digest.value.littleEndian) { file += $0 }
    file += payload
    let temporary = "\(path).\(getpid()).tmp"
    try Data(file).write(to: URL(fileURLWithPath: temporary))
    if rename(temporary, path) != 0 {
      let code = errno
      unlink(temporary)
      throw RenameError(path: path, errno: code)
    }
  }
}
