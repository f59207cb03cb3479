import CGeneratedProtos
import Testing

@testable import Tracing

@Suite("OTLP encoding (protobuf-c, decoded back)")
struct OTLPTraceEncoderTests {
  typealias Request = Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest

  /// Encodes `spans`, unpacks the bytes with protobuf-c and hands the request to `body`.
  func decoded(
    _ spans: [SpanData], resource: [SpanAttribute] = [SpanAttribute("service.name", "svc")],
    _ body: (UnsafeMutablePointer<Request>) throws -> Void
  ) throws {
    let encoder = OTLPTraceEncoder(resource: resource, scopeName: "semantic-router", scopeVersion: "1.2.3")
    let bytes = encoder.encode(spans)
    try bytes.withUnsafeBufferPointer { buffer in
      let request = try #require(
        opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(
          nil, buffer.count, buffer.baseAddress))
      defer {
        opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked(
          request, nil)
      }
      try body(request)
    }
  }

  static let context = SpanContext(
    traceID: TraceID(high: 0x0102_0304_0506_0708, low: 0x090a_0b0c_0d0e_0f10),
    spanID: SpanID(0x1112_1314_1516_1718), traceFlags: [.sampled, .random],
    traceState: try! TraceState.parse("vendor=value"), isRemote: false)

  static func value(_ v: UnsafeMutablePointer<Opentelemetry__Proto__Common__V1__AnyValue>?)
    -> AttributeValue?
  {
    guard let v else { return nil }
    switch v.pointee.value_case {
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE:
      return .string(String(cString: v.pointee.string_value))
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE:
      return .bool(v.pointee.bool_value != 0)
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE:
      return .int(v.pointee.int_value)
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE:
      return .double(v.pointee.double_value)
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BYTES_VALUE:
      let b = v.pointee.bytes_value
      return .bytes(Array(UnsafeBufferPointer(start: b.data, count: b.len)))
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE:
      let array = v.pointee.array_value.pointee
      let items = (0..<array.n_values).map { value(array.values[$0]) }
      switch items.first ?? nil {
      case .string?: return .stringArray(items.map { if case .string(let s)? = $0 { s } else { "?" } })
      case .bool?: return .boolArray(items.map { if case .bool(let b)? = $0 { b } else { false } })
      case .int?: return .intArray(items.map { if case .int(let i)? = $0 { i } else { -1 } })
      case .double?: return .doubleArray(items.map { if case .double(let d)? = $0 { d } else { -1 } })
      default: return .stringArray([])
      }
    default: return nil
    }
  }

  static func attributes(
    _ list: UnsafeMutablePointer<UnsafeMutablePointer<Opentelemetry__Proto__Common__V1__KeyValue>?>?,
    _ count: Int
  ) -> [SpanAttribute] {
    (0..<count).compactMap { i in
      guard let kv = list?[i], let v = value(kv.pointee.value) else { return nil }
      return SpanAttribute(String(cString: kv.pointee.key), v)
    }
  }

  static func bytes(_ data: ProtobufCBinaryData) -> [UInt8] {
    Array(UnsafeBufferPointer(start: data.data, count: data.len))
  }

  @Test func encode_everyAttributeType_decodesToTheSameValues() throws {
    let attributes: [SpanAttribute] = [
      SpanAttribute("s", "héllo"), SpanAttribute("empty", ""), SpanAttribute("b", true),
      SpanAttribute("f", false), SpanAttribute("i", .int(-42)), SpanAttribute("zero", .int(0)),
      SpanAttribute("d", 0.25), SpanAttribute("sa", .stringArray(["a", "", "c"])),
      SpanAttribute("ba", .boolArray([true, false])), SpanAttribute("ia", .intArray([1, -2, 3])),
      SpanAttribute("da", .doubleArray([1.5, -2.5])), SpanAttribute("bytes", .bytes([0, 1, 255])),
    ]
    let span = SpanData(
      name: "semantic_router.classification", kind: .internal, context: Self.context,
      parentSpanID: SpanID(0x2122_2324_2526_2728), parentIsRemote: false,
      startTimeUnixNanos: 1_700_000_000_000_000_001, endTimeUnixNanos: 1_700_000_000_500_000_002,
      attributes: SpanAttributes(attributes), droppedAttributesCount: 3)
    try decoded([span]) { request in
      #expect(request.pointee.n_resource_spans == 1)
      let rs = try #require(request.pointee.resource_spans[0])
      #expect(rs.pointee.n_scope_spans == 1)
      let ss = try #require(rs.pointee.scope_spans[0])
      #expect(String(cString: ss.pointee.scope.pointee.name) == "semantic-router")
      #expect(String(cString: ss.pointee.scope.pointee.version) == "1.2.3")
      #expect(ss.pointee.n_spans == 1)
      let s = try #require(ss.pointee.spans[0])
      #expect(Self.attributes(s.pointee.attributes, s.pointee.n_attributes) == attributes)
      #expect(s.pointee.dropped_attributes_count == 3)
      #expect(Self.bytes(s.pointee.trace_id) == Array(1...16))
      #expect(Self.bytes(s.pointee.span_id) == Array(0x11...0x18))
      #expect(Self.bytes(s.pointee.parent_span_id) == Array(0x21...0x28))
      #expect(String(cString: s.pointee.trace_state) == "vendor=value")
      #expect(String(cString: s.pointee.name) == "semantic_router.classification")
      #expect(s.pointee.kind.rawValue == 1)
      #expect(s.pointee.start_time_unix_nano == 1_700_000_000_000_000_001)
      #expect(s.pointee.end_time_unix_nano == 1_700_000_000_500_000_002)
      // sampled + random, has-is-remote, parent local.
      #expect(s.pointee.flags == 0x103)
      #expect(s.pointee.status == nil)
    }
  }

  @Test func encode_eventsStatusRemoteParentAndResource() throws {
    let span = SpanData(
      name: "semantic_router.request.received", kind: .server, context: Self.context,
      parentSpanID: SpanID(7), parentIsRemote: true, startTimeUnixNanos: 10, endTimeUnixNanos: 20,
      events: [
        SpanEvent(
          name: "first_token", timeUnixNanos: 15, attributes: [SpanAttribute("n", .int(1))],
          droppedAttributesCount: 2)
      ], droppedEventsCount: 4, status: .error(message: "upstream 503"))
    let root = SpanData(
      name: "root", kind: .client, context: Self.context, startTimeUnixNanos: 1,
      endTimeUnixNanos: 2, status: .ok)
    let resource = [
      SpanAttribute("service.name", "vllm-semantic-router"), SpanAttribute("process.pid", .int(99)),
    ]
    try decoded([span, root], resource: resource) { request in
      let rs = try #require(request.pointee.resource_spans[0])
      let res = try #require(rs.pointee.resource)
      #expect(Self.attributes(res.pointee.attributes, res.pointee.n_attributes) == resource)
      let ss = try #require(rs.pointee.scope_spans[0])
      #expect(ss.pointee.n_spans == 2)
      let s = try #require(ss.pointee.spans[0])
      #expect(s.pointee.kind.rawValue == 2)
      #expect(s.pointee.flags == 0x303)
      #expect(s.pointee.n_events == 1)
      let e = try #require(s.pointee.events[0])
      #expect(String(cString: e.pointee.name) == "first_token")
      #expect(e.pointee.time_unix_nano == 15)
      #expect(Self.attributes(e.pointee.attributes, e.pointee.n_attributes) == [SpanAttribute("n", .int(1))])
      #expect(e.pointee.dropped_attributes_count == 2)
      #expect(s.pointee.dropped_events_count == 4)
      let status = try #require(s.pointee.status)
      #expect(status.pointee.code.rawValue == 2)
      #expect(String(cString: status.pointee.message) == "upstream 503")
      let r = try #require(ss.pointee.spans[1])
      #expect(r.pointee.parent_span_id.len == 0)
      #expect(r.pointee.flags == 0x103)
      #expect(r.pointee.kind.rawValue == 3)
      #expect(r.pointee.status.pointee.code.rawValue == 1)
    }
  }

  /// The encoder packs into a buffer sized by an upper bound it counts while laying out the
  /// batch; debug builds (these tests) assert that bound against protobuf-c's exact size. This
  /// batch makes every field as large as it gets: 10-byte varints (negative integers), long
  /// strings (3-byte lengths), every value type, events, status, trace state, big counts.
  @Test func encode_worstCaseFieldSizes_fitTheSizeBoundAndDecode() throws {
    let long = String(repeating: "é", count: 20_000)
    let attributes = [
      SpanAttribute(long, .string(long)), SpanAttribute("", .string("")),
      SpanAttribute("neg", .int(.min)), SpanAttribute("max", .int(.max)),
      SpanAttribute("d", .double(-.infinity)), SpanAttribute("b", .bool(true)),
      SpanAttribute("bytes", .bytes(Array(repeating: 0xff, count: 70_000))),
      SpanAttribute("ints", .intArray(Array(repeating: -1, count: 300))),
      SpanAttribute("strings", .stringArray([long, "", "x"])),
      SpanAttribute("bools", .boolArray([true, false])),
      SpanAttribute("doubles", .doubleArray([0, -1.5])),
      SpanAttribute("empty", .stringArray([])),
    ]
    let span = SpanData(
      name: long, kind: .consumer, context: Self.context, parentSpanID: SpanID(.max),
      parentIsRemote: true, startTimeUnixNanos: .max, endTimeUnixNanos: .max,
      attributes: SpanAttributes(attributes), droppedAttributesCount: .max,
      events: [
        SpanEvent(
          name: long, timeUnixNanos: .max, attributes: attributes, droppedAttributesCount: .max)
      ], droppedEventsCount: .max, status: .error(message: long))
    let resource = [SpanAttribute("service.name", .string(long))]
    try decoded(Array(repeating: span, count: 3), resource: resource) { request in
      let ss = try #require(request.pointee.resource_spans[0]?.pointee.scope_spans[0])
      #expect(ss.pointee.n_spans == 3)
      let s = try #require(ss.pointee.spans[2])
      #expect(Self.attributes(s.pointee.attributes, s.pointee.n_attributes) == attributes)
      #expect(s.pointee.dropped_attributes_count == UInt32.max)
      #expect(s.pointee.start_time_unix_nano == UInt64.max)
      let e = try #require(s.pointee.events[0])
      #expect(Self.attributes(e.pointee.attributes, e.pointee.n_attributes) == attributes)
      #expect(String(cString: s.pointee.status.pointee.message) == long)
    }
  }

  @Test func encode_reusedEncoder_producesIdenticalBytesForTheSameBatch() {
    let encoder = OTLPTraceEncoder(resource: [], scopeName: "semantic-router", scopeVersion: "0")
    let spans = (0..<2000).map { i in
      SpanData(
        name: "span-\(i)", kind: .internal, context: Self.context, startTimeUnixNanos: UInt64(i),
        endTimeUnixNanos: UInt64(i + 1), attributes: [SpanAttribute("k", .string(String(repeating: "x", count: i % 300)))])
    }
    let first = encoder.encode(spans)
    let second = encoder.encode(spans)
    #expect(first == second)
    #expect(first.count > 2000 * 20)
  }

  @Test func partialSuccess_decodesRejectedCountAndMessage() {
    // ExportTraceServiceResponse{partial_success{rejected_spans: 5, error_message: "bad"}}
    let body: [UInt8] = [0x0a, 0x07, 0x08, 0x05, 0x12, 0x03] + Array("bad".utf8)
    #expect(OTLPPartialSuccess.decode(body) == OTLPPartialSuccess(rejectedSpans: 5, errorMessage: "bad"))
    #expect(OTLPPartialSuccess.decode([]) == OTLPPartialSuccess(rejectedSpans: 0, errorMessage: ""))
    #expect(OTLPPartialSuccess.decode([0xff, 0xff]) == nil)
  }
}
