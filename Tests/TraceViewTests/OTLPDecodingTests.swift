import Testing

@testable import TraceView

/// A minimal protobuf writer, independent of protobuf-c, to build requests by field number
/// (opentelemetry-proto: collector/trace/v1/trace_service.proto, trace/v1/trace.proto).
private struct ProtoWriter {
  var bytes: [UInt8] = []

  mutating func varint(_ value: UInt64) {
    var value = value
    while value >= 0x80 {
      bytes.append(UInt8(value & 0x7F) | 0x80)
      value >>= 7
    }
    bytes.append(UInt8(value))
  }

  mutating func tag(_ field: UInt64, _ wireType: UInt64) { varint(field << 3 | wireType) }

  mutating func bytesField(_ field: UInt64, _ value: [UInt8]) {
    tag(field, 2)
    varint(UInt64(value.count))
    bytes += value
  }

  mutating func string(_ field: UInt64, _ value: String) { bytesField(field, Array(value.utf8)) }

  mutating func message(_ field: UInt64, _ build: (inout ProtoWriter) -> Void) {
    var inner = ProtoWriter()
    build(&inner)
    bytesField(field, inner.bytes)
  }

  mutating func varintField(_ field: UInt64, _ value: UInt64) {
    tag(field, 0)
    varint(value)
  }

  mutating func fixed64(_ field: UInt64, _ value: UInt64) {
    tag(field, 1)
    withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
  }

  /// A KeyValue (key = 1, value = 2) whose AnyValue is built by `value`.
  mutating func keyValue(_ field: UInt64, _ key: String, _ value: (inout ProtoWriter) -> Void) {
    message(field) { keyValue in
      keyValue.string(1, key)
      keyValue.message(2, value)
    }
  }
}

@Suite("OTLP ExportTraceServiceRequest decoding")
struct OTLPDecodingTests {
  private let traceID: [UInt8] = Array(0x10...0x1F)
  private let rootID: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
  private let childID: [UInt8] = [0xA, 0xB, 0xC, 0xD, 0xE, 0xF, 0x10, 0x11]

  private func request() -> [UInt8] {
    var request = ProtoWriter()
    request.message(1) { resourceSpans in  // ResourceSpans
      resourceSpans.message(1) { resource in  // Resource
        resource.keyValue(1, "service.name") { $0.string(1, "router") }
      }
      resourceSpans.message(2) { scopeSpans in  // ScopeSpans
        scopeSpans.message(2) { span in  // root Span
          span.bytesField(1, traceID)
          span.bytesField(2, rootID)
          span.string(5, "root")
          span.varintField(6, 2)  // SERVER
          span.fixed64(7, 1_000)
          span.fixed64(8, 5_000)
        }
        scopeSpans.message(2) { span in  // child Span
          span.bytesField(1, traceID)
          span.bytesField(2, childID)
          span.bytesField(4, rootID)
          span.string(5, "child")
          span.varintField(6, 3)  // CLIENT
          span.fixed64(7, 2_000)
          span.fixed64(8, 3_000)
          span.keyValue(9, "s") { $0.string(1, "x\"y") }
          span.keyValue(9, "b") { $0.varintField(2, 1) }
          span.keyValue(9, "i") { $0.varintField(3, UInt64(bitPattern: -5)) }
          span.keyValue(9, "d") { $0.fixed64(4, (0.5).bitPattern) }
          span.keyValue(9, "a") { any in
            any.message(5) { array in
              array.message(1) { $0.varintField(3, 1) }
              array.message(1) { $0.string(1, "two") }
            }
          }
          span.keyValue(9, "kv") { any in
            any.message(6) { list in list.keyValue(1, "k") { $0.varintField(2, 0) } }
          }
          span.keyValue(9, "raw") { $0.bytesField(7, [0xDE, 0xAD]) }
          span.message(15) { status in  // Status
            status.string(2, "boom")
            status.varintField(3, 2)  // ERROR
          }
        }
      }
    }
    request.message(1) { resourceSpans in  // a resource without service.name
      resourceSpans.message(2) { scopeSpans in
        scopeSpans.message(2) { span in
          span.bytesField(1, traceID)
          span.bytesField(2, [9, 9, 9, 9, 9, 9, 9, 9])
          span.string(5, "anonymous")
        }
      }
    }
    return request.bytes
  }

  @Test func request_decodesIdsNamesKindsTimesAttributesStatusAndService() throws {
    let spans = try #require(OTLPTraceRequestDecoder.decode(request()))
    #expect(spans.count == 3)
    #expect(
      spans[0]
        == TraceViewSpan(
          traceID: "101112131415161718191a1b1c1d1e1f", spanID: "0102030405060708",
          parentSpanID: nil, name: "root", kind: .server, service: "router",
          startTimeUnixNano: 1_000, endTimeUnixNano: 5_000))
    #expect(
      spans[1]
        == TraceViewSpan(
          traceID: "101112131415161718191a1b1c1d1e1f", spanID: "0a0b0c0d0e0f1011",
          parentSpanID: "0102030405060708", name: "child", kind: .client, service: "router",
          startTimeUnixNano: 2_000, endTimeUnixNano: 3_000,
          attributes: [
            TraceViewAttribute("s", .string("x\"y")), TraceViewAttribute("b", .bool(true)),
            TraceViewAttribute("i", .int(-5)), TraceViewAttribute("d", .double(0.5)),
            TraceViewAttribute("a", .array([.int(1), .string("two")])),
            TraceViewAttribute("kv", .keyValues([TraceViewAttribute("k", .bool(false))])),
            TraceViewAttribute("raw", .bytes([0xDE, 0xAD])),
          ],
          statusCode: .error, statusMessage: "boom"))
    #expect(spans[2].service == "unknown_service")
    #expect(spans[2].kind == .unspecified)
  }

  @Test func garbage_doesNotDecode() {
    #expect(OTLPTraceRequestDecoder.decode([0x0A, 0xFF, 0xFF]) == nil)
  }

  @Test func emptyRequest_decodesToNoSpans() {
    #expect(OTLPTraceRequestDecoder.decode([]) == [])
  }

  @Test func span_encodesAsOneJSONLine() throws {
    let spans = try #require(OTLPTraceRequestDecoder.decode(request()))
    #expect(
      SpanJSONLineEncoder.encode(spans[1])
        == #"{"trace_id":"101112131415161718191a1b1c1d1e1f","span_id":"0a0b0c0d0e0f1011","#
        + #""parent_span_id":"0102030405060708","name":"child","kind":"client","#
        + #""service":"router","start_time_unix_nano":2000,"end_time_unix_nano":3000,"#
        + #""attributes":{"s":"x\"y","b":true,"i":-5,"d":0.5,"a":[1,"two"],"kv":{"k":false},"#
        + #""raw":"dead"},"status":{"code":"error","message":"boom"}}"#)
    #expect(SpanJSONLineEncoder.encode(spans[0]).contains(#""parent_span_id":"""#))
  }
}
