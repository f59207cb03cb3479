import Glibc

/// A whole file mapped read-only into memory; unmapped when the last reference goes.
final class MappedFile: @unchecked Sendable {  // immutable after init; the bytes are read-only
  /// The path the file was opened with, for error messages.
  let path: String
  /// The mapped bytes (empty for an empty file).
  let bytes: UnsafeRawBufferPointer

  init(path: String) throws {
    self.path = path
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      throw EmbeddingError(
        file: path, field: "(file)", reason: "cannot open: \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    var status = stat()
    guard fstat(fd, &status) == 0 else {
      throw EmbeddingError(
        file: path, field: "(file)", reason: "cannot stat: \(String(cString: strerror(errno)))")
    }
    let size = Int(status.st_size)
    guard size > 0 else {
      bytes = UnsafeRawBufferPointer(start: nil, count: 0)
      return
    }
    guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED
    else {
      throw EmbeddingError(
        file: path, field: "(file)", reason: "cannot map: \(String(cString: strerror(errno)))")
    }
    bytes = UnsafeRawBufferPointer(start: address, count: size)
  }

  deinit {
    if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
  }
}
