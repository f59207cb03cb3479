internal import CNGHTTP2

/// A header list laid out as nghttp2 name/value pairs for one submit call (nghttp2 copies them),
/// built in temporary (usually stack) memory.
struct HTTP2HeaderBlock {
  let headers: [HTTP2Header]

  init(_ headers: [HTTP2Header]) {
    self.headers = headers
  }

  func withNameValues<R>(_ body: (UnsafeMutableBufferPointer<nghttp2_nv>) -> R) -> R {
    var byteCount = 0
    for header in headers {
      byteCount += header.name.utf8.count + header.value.utf8.count
    }
    return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(byteCount, 1)) { bytes in
      withUnsafeTemporaryAllocation(of: nghttp2_nv.self, capacity: max(headers.count, 1)) { nva in
        var offset = 0
        for (index, header) in headers.enumerated() {
          let name = bytes.baseAddress! + offset
          offset = copy(header.name, into: bytes, at: offset)
          let value = bytes.baseAddress! + offset
          offset = copy(header.value, into: bytes, at: offset)
          (nva.baseAddress! + index).initialize(
            to: nghttp2_nv(
              name: name, value: value, namelen: header.name.utf8.count,
              valuelen: header.value.utf8.count, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)))
        }
        return body(UnsafeMutableBufferPointer(rebasing: nva[0..<headers.count]))
      }
    }
  }

  private func copy(_ text: String, into bytes: UnsafeMutableBufferPointer<UInt8>, at offset: Int)
    -> Int
  {
    let (_, end) = UnsafeMutableBufferPointer(rebasing: bytes[offset...]).initialize(
      from: text.utf8)
    return offset + end
  }
}
