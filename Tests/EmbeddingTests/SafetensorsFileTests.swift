@testable import Embedding
import Foundation
import Testing

/// The safetensors reader: tensors read back as written, and every malformed header an error
/// naming the file and the field. Every test removes the files it writes.
@Suite struct SafetensorsFileTests {
  /// Writes a safetensors file from a header text and data bytes; returns its path.
  static func write(header: String, data: [UInt8] = [], name: String = #function) throws
    -> String
  {
    let path = NSTemporaryDirectory() + "safetensors-\(getpid())-\(name.hashValue).safetensors"
    var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) }
    bytes += Array(header.utf8) + data
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
  }

  static func floatBytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } }
  }

  static func error(_ body: () throws -> Void) -> EmbeddingError? {
    do {
      try body()
      return nil
    } catch let error as EmbeddingError {
      return error
    } catch {
      return nil
    }
  }

  @Test func f32AndF16Tensors_readBackAsWritten() throws {
    let halves: [Float16] = [1.5, -2, 0.25]
    let halfBytes = halves.flatMap {
      withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) }
    }
    let path = try Self.write(
      header: """
        {"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},\
        "b":{"dtype":"F16","shape":[3],"data_offsets":[16,22]}}
        """,
      data: Self.floatBytes([1, 2, 3, 4]) + halfBytes)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let file = try SafetensorsFile(path: path)
    #expect(Set(file.tensors.keys) == ["a", "b"])
    let a = try file.tensor("a")
    #expect(a.shape == [2, 2] && a.dtype == .f32 && a.count == 4)
    #expect(a.floats() == [1, 2, 3, 4])
    let b = try file.tensor("b")
    #expect(b.dtype == .f16 && b.floats() == [1.5, -2, 0.25])
    #expect(Self.error { _ = try file.tensor("c") }?.field == "c")
  }

  @Test(arguments: [
    (#"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}}"#, "t.data_offsets"),
    (#"{"t":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, "t.data_offsets"),
    (#"{"t":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, "t.data_offsets"),
    (#"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0]}}"#, "t.data_offsets"),
    (#"{"t":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}"#, "t.dtype"),
    (#"{"t":{"shape":[2],"data_offsets":[0,8]}}"#, "t.dtype"),
    (#"{"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, "t.shape"),
    (#"{"t":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}}"#, "t.shape"),
    (#"{"t":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}"#, "t.shape"),
    (
      #"{"t":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#,
      "t.shape"
    ),
    (
      #"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
        + #""u":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
      "u.data_offsets"
    ),
    (#"{"t":[1,2]}"#, "t"),
    (#"[1,2]"#, "header"),
    (#"{"t":"#, "header"),
  ])
  func malformedHeaders_areErrorsNamingTheField(header: String, field: String) throws {
    let path = try Self.write(header: header, data: Self.floatBytes([1, 2]), name: header)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let error = Self.error { _ = try SafetensorsFile(path: path) }
    #expect(error?.field == field, "\(String(describing: error))")
    #expect(error?.file == path)
  }

  @Test func everyTruncationOfAValidFile_isAnError() throws {
    let header = #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}"#
    let path = try Self.write(header: header, data: Self.floatBytes([1, 2, 3]))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    #expect(throws: Never.self) { try SafetensorsFile(path: path) }
    let truncated = path + ".truncated"
    defer { try? FileManager.default.removeItem(atPath: truncated) }
    for length in 0..<bytes.count {
      try bytes.prefix(length).write(to: URL(fileURLWithPath: truncated))
      let error = Self.error { _ = try SafetensorsFile(path: truncated) }
      #expect(error?.file == truncated, "a \(length)-byte prefix loaded")
    }
  }

  @Test func aHeaderLengthPastTheFile_isAnError() throws {
    let path = try Self.write(header: "{}")
    defer { try? FileManager.default.removeItem(atPath: path) }
    var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    bytes.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64.max) { Array($0) })
    try bytes.write(to: URL(fileURLWithPath: path))
    #expect(Self.error { _ = try SafetensorsFile(path: path) }?.field == "header length")
  }

  @Test func aMissingFile_isAnErrorNamingIt() {
    let error = Self.error { _ = try SafetensorsFile(path: "/nonexistent/model.safetensors") }
    #expect(error?.file == "/nonexistent/model.safetensors")
  }
}
