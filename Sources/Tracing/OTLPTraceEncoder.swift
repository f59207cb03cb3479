internal import CGeneratedProtos

/// Encodes span batches as OTLP `ExportTraceServiceRequest` bytes with protobuf-c.
///
/// One `ResourceSpans` (the resource attributes) with one `ScopeSpans` (scope
/// `semantic-router`), built once; per batch the span structs, attribute values and strings
/// are laid out in an `EncodingArena` and packed into one byte array. While laying out the
/// batch the encoder adds up an upper bound of its packed size (see `Bound`), so protobuf-c packs
/// straight into a buffer that big without first walking the whole tree for the exact size
/// (which cost as much as the packing itself, `strlen` of every string included). Shared by the
/// OTLP/HTTP and OTLP/gRPC exporters (the same request message). Not thread-safe: one per
/// export thread.
final class OTLPTraceEncoder {
  typealias KeyValue = Opentelemetry__Proto__Common__V1__KeyValue
  typealias AnyValue = Opentelemetry__Proto__Common__V1__AnyValue
  typealias ArrayValue = Opentelemetry__Proto__Common__V1__ArrayValue
  typealias CSpan = Opentelemetry__Proto__Trace__V1__Span
  typealias CEvent = Opentelemetry__Proto__Trace__V1__Span__Event
  typealias CStatus = Opentelemetry__Proto__Trace__V1__Status

  private let arena = EncodingArena()
  /// Holds the resource and scope, which never change.
  private let fixedArena = EncodingArena(blockSize: 16 * 1024)
  @exclusivity(unchecked)
  private var request = Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest()
  private let resourceSpans: UnsafeMutablePointer<Opentelemetry__Proto__Trace__V1__ResourceSpans>
  private let scopeSpans: UnsafeMutablePointer<Opentelemetry__Proto__Trace__V1__ScopeSpans>
  /// The packed size of the request without spans (resource and scope), set once by `init`.
  private var emptyRequestSize = 0
  /// The upper bound of the packed size of the spans laid out so far in this batch.
  @exclusivity(unchecked) private var spansBound = 0

  /// Worst-case sizes of protobuf wire elements, for the packed size bound.
  private enum Bound {
    /// A length-delimited field without its content: a tag (at most 2 bytes for field numbers
    /// below 2048) and a length varint (at most 5 bytes for a 32-bit length).
    static let delimited = 7
    /// A scalar field: a tag and at most a 10-byte varint (fixed32 and fixed64 are smaller).
    static let scalar = 12
    /// A span's own fields besides its strings, attributes and events: the list entry, trace,
    /// span and parent ids, trace state, name and status framing, status code, and seven
    /// scalars (flags, kind, start, end, three dropped counts).
    static let span =
      delimited + (delimited + 16) + 2 * (delimited + 8) + 2 * delimited
      + (delimited + scalar + delimited) + 7 * scalar
    /// An event's list entry, name framing, time and dropped count.
    static let event = 2 * delimited + 2 * scalar
    /// A key/value's list entry, key framing and value framing.
    static let keyValue = 3 * delimited
    /// The scope spans and resource spans length varints growing from 1 to 5 bytes each.
    static let requestFraming = 2 * 4
  }

  // Initialised messages (descriptor set, defaults), copied into the arena per use.
  private let keyValuePrototype: KeyValue
  private let anyValuePrototype: AnyValue
  private let arrayValuePrototype: ArrayValue
  private let spanPrototype: CSpan
  private let eventPrototype: CEvent
  private let statusPrototype: CStatus

  /// `resource` becomes the `Resource` of every request; the scope is `scopeName`/`scopeVersion`.
  init(resource: [SpanAttribute], scopeName: String, scopeVersion: String) {
    keyValuePrototype = Self.initialized(opentelemetry__proto__common__v1__key_value__init)
    anyValuePrototype = Self.initialized(opentelemetry__proto__common__v1__any_value__init)
    arrayValuePrototype = Self.initialized(opentelemetry__proto__common__v1__array_value__init)
    spanPrototype = Self.initialized(opentelemetry__proto__trace__v1__span__init)
    eventPrototype = Self.initialized(opentelemetry__proto__trace__v1__span__event__init)
    statusPrototype = Self.initialized(opentelemetry__proto__trace__v1__status__init)
    opentelemetry__proto__collector__trace__v1__export_trace_service_request__init(&request)

    resourceSpans = fixedArena.allocate(Opentelemetry__Proto__Trace__V1__ResourceSpans.self)
    opentelemetry__proto__trace__v1__resource_spans__init(resourceSpans)
    let cResource = fixedArena.allocate(Opentelemetry__Proto__Resource__V1__Resource.self)
    opentelemetry__proto__resource__v1__resource__init(cResource)
    scopeSpans = fixedArena.allocate(Opentelemetry__Proto__Trace__V1__ScopeSpans.self)
    opentelemetry__proto__trace__v1__scope_spans__init(scopeSpans)
    let scope = fixedArena.allocate(Opentelemetry__Proto__Common__V1__InstrumentationScope.self)
    opentelemetry__proto__common__v1__instrumentation_scope__init(scope)

    let (count, attributes) = keyValues(resource, in: fixedArena)
    cResource.pointee.n_attributes = count
    cResource.pointee.attributes = attributes
    scope.pointee.name = fixedArena.cString(scopeName)
    scope.pointee.version = fixedArena.cString(scopeVersion)
    scopeSpans.pointee.scope = scope
    resourceSpans.pointee.resource = cResource
    resourceSpans.pointee.n_scope_spans = 1
    let scopeList = fixedArena.allocate(
      UnsafeMutablePointer<Opentelemetry__Proto__Trace__V1__ScopeSpans>?.self)
    scopeList.pointee = scopeSpans
    resourceSpans.pointee.scope_spans = scopeList
    let resourceList = fixedArena.allocate(
      UnsafeMutablePointer<Opentelemetry__Proto__Trace__V1__ResourceSpans>?.self)
    resourceList.pointee = resourceSpans
    request.n_resource_spans = 1
    request.resource_spans = resourceList
    emptyRequestSize = withUnsafePointer(to: &request) {
      opentelemetry__proto__collector__trace__v1__export_trace_service_request__get_packed_size($0)
    }
    // The resource attributes were counted above; they are part of `emptyRequestSize`.
    spansBound = 0
  }

  /// A message initialised by its protobuf-c `__init` function (descriptor and defaults set).
  private static func initialized<M>(_ initialize: (UnsafeMutablePointer<M>?) -> Void) -> M {
    let message = UnsafeMutablePointer<M>.allocate(capacity: 1)
    defer { message.deallocate() }
    initialize(message)
    return message.pointee
  }

  /// The serialised `ExportTraceServiceRequest` for `spans`.
  func encode(_ spans: [SpanData]) -> [UInt8] {
    defer {
      arena.reset()
      scopeSpans.pointee.n_spans = 0
      scopeSpans.pointee.spans = nil
      spansBound = 0
    }
    let list = arena.allocate(UnsafeMutablePointer<CSpan>?.self, count: spans.count)
    let structs = arena.allocate(CSpan.self, count: spans.count)
    // Reading through a pointer borrows each span; a `SpanData` value would be copied (every
    // field retained and released).
    spans.withUnsafeBufferPointer { spans in
      for i in spans.indices {
        let s = structs + i
        s.initialize(to: spanPrototype)
        fill(s, from: spans.baseAddress! + i)
        list[i] = s
      }
    }
    scopeSpans.pointee.n_spans = spans.count
    scopeSpans.pointee.spans = list
    let capacity = emptyRequestSize + Bound.requestFraming + spansBound
    return withUnsafePointer(to: &request) { req in
      assert(
        opentelemetry__proto__collector__trace__v1__export_trace_service_request__get_packed_size(
          req)
          <= capacity, "OTLP packed size bound too small")
      return [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
        initialized =
          opentelemetry__proto__collector__trace__v1__export_trace_service_request__pack(
            req, buffer.baseAddress)
        precondition(initialized <= capacity, "OTLP packed size bound too small")
      }
    }
  }

  // MARK: - Messages

  private func fill(_ s: UnsafeMutablePointer<CSpan>, from span: UnsafePointer<SpanData>) {
    spansBound += Bound.span
    s.pointee.trace_id = ProtobufCBinaryData(
      len: 16, data: arena.traceID(span.pointee.context.traceID))
    s.pointee.span_id = ProtobufCBinaryData(
      len: 8, data: arena.bigEndian(span.pointee.context.spanID.value))
    if let parent = span.pointee.parentSpanID {
      s.pointee.parent_span_id = ProtobufCBinaryData(len: 8, data: arena.bigEndian(parent.value))
    }
    if !span.pointee.context.traceState.isEmpty {
      s.pointee.trace_state = cString(span.pointee.context.traceState.headerValue, in: arena)
    }
    s.pointee.flags = span.pointee.otlpFlags
    s.pointee.name = cString(span.pointee.name, in: arena)
    s.pointee.kind = Opentelemetry__Proto__Trace__V1__Span__SpanKind(
      rawValue: UInt32(span.pointee.kind.rawValue))
    s.pointee.start_time_unix_nano = span.pointee.startTimeUnixNanos
    s.pointee.end_time_unix_nano = span.pointee.endTimeUnixNanos
    let (count, attributes) = keyValues(span.pointee.attributes)
    s.pointee.n_attributes = count
    s.pointee.attributes = attributes
    s.pointee.dropped_attributes_count = UInt32(clamping: span.pointee.droppedAttributesCount)
    if !span.pointee.events.isEmpty {
      let list = arena.allocate(
        UnsafeMutablePointer<CEvent>?.self, count: span.pointee.events.count)
      let events = arena.allocate(CEvent.self, count: span.pointee.events.count)
      for (i, event) in span.pointee.events.enumerated() {
        let e = events + i
        e.initialize(to: eventPrototype)
        spansBound += Bound.event
        e.pointee.name = cString(event.name, in: arena)
        e.pointee.time_unix_nano = event.timeUnixNanos
        let (n, attrs) = keyValues(event.attributes, in: arena)
        e.pointee.n_attributes = n
        e.pointee.attributes = attrs
        e.pointee.dropped_attributes_count = UInt32(clamping: event.droppedAttributesCount)
        list[i] = e
      }
      s.pointee.n_events = span.pointee.events.count
      s.pointee.events = list
    }
    s.pointee.dropped_events_count = UInt32(clamping: span.pointee.droppedEventsCount)
    if span.pointee.status != .unset {
      let status = arena.allocate(CStatus.self)
      status.initialize(to: statusPrototype)
      status.pointee.code = Opentelemetry__Proto__Trace__V1__Status__StatusCode(
        rawValue: UInt32(span.pointee.status.code))
      if case .error(let message) = span.pointee.status, !message.isEmpty {
        status.pointee.message = cString(message, in: arena)
      }
      s.pointee.status = status
    }
  }

  /// A span's attributes: key/value structs pointing into one arena copy of their packed
  /// keys and string values (see `SpanAttributes`), so no string is copied on its own.
  private func keyValues(
    _ attributes: SpanAttributes
  ) -> (Int, UnsafeMutablePointer<UnsafeMutablePointer<KeyValue>?>?) {
    guard !attributes.isEmpty else { return (0, nil) }
    return attributes.withEntries { entries, packedText, boxed in
      let count = entries.count
      let text = UnsafeMutableRawPointer(arena.bytes(packedText))
        .assumingMemoryBound(to: CChar.self)
      // The keys and string values with their NULs, plus each pair's framing and its string
      // value's tag and length; scalar and boxed values add their own below.
      spansBound += packedText.count + count * (Bound.keyValue + Bound.delimited)
      let list = arena.allocate(UnsafeMutablePointer<KeyValue>?.self, count: count)
      let pairs = arena.allocate(KeyValue.self, count: count)
      let values = arena.allocate(AnyValue.self, count: count)
      for i in entries.indices {
        let entry = entries[i]
        let kv = pairs + i
        kv.initialize(to: keyValuePrototype)
        kv.pointee.key = text + Int(entry.keyOffset)
        let value = values + i
        value.initialize(to: anyValuePrototype)
        switch entry.kind {
        case .string:
          value.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE
          value.pointee.string_value = text + entry.stringOffset
        case .bool: setBool(value, entry.payload != 0)
        case .int: setInt(value, Int64(bitPattern: entry.payload))
        case .double: setDouble(value, Double(bitPattern: entry.payload))
        case .boxed: fill(value, with: boxed[Int(entry.payload)], in: arena)
        }
        kv.pointee.value = value
        list[i] = kv
      }
      return (count, list)
    }
  }

  private func keyValues(
    _ attributes: [SpanAttribute], in arena: EncodingArena
  ) -> (Int, UnsafeMutablePointer<UnsafeMutablePointer<KeyValue>?>?) {
    guard !attributes.isEmpty else { return (0, nil) }
    let list = arena.allocate(UnsafeMutablePointer<KeyValue>?.self, count: attributes.count)
    let pairs = arena.allocate(KeyValue.self, count: attributes.count)
    let values = arena.allocate(AnyValue.self, count: attributes.count)
    attributes.withUnsafeBufferPointer { attributes in
      for i in attributes.indices {
        let kv = pairs + i
        kv.initialize(to: keyValuePrototype)
        spansBound += Bound.keyValue
        kv.pointee.key = cString(attributes[i].key, in: arena)
        let value = values + i
        value.initialize(to: anyValuePrototype)
        fill(value, with: attributes[i].value, in: arena)
        kv.pointee.value = value
        list[i] = kv
      }
    }
    return (attributes.count, list)
  }

  private func fill(
    _ v: UnsafeMutablePointer<AnyValue>, with value: AttributeValue, in arena: EncodingArena
  ) {
    switch value {
    case .string(let s): setString(v, s, in: arena)
    case .bool(let b): setBool(v, b)
    case .int(let i): setInt(v, i)
    case .double(let d): setDouble(v, d)
    case .bytes(let bytes):
      spansBound += Bound.delimited + bytes.count
      v.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BYTES_VALUE
      v.pointee.bytes_value = ProtobufCBinaryData(len: bytes.count, data: arena.bytes(bytes))
    case .stringArray(let a): setArray(v, a.count, in: arena) { setString($0, a[$1], in: arena) }
    case .boolArray(let a): setArray(v, a.count, in: arena) { setBool($0, a[$1]) }
    case .intArray(let a): setArray(v, a.count, in: arena) { setInt($0, a[$1]) }
    case .doubleArray(let a): setArray(v, a.count, in: arena) { setDouble($0, a[$1]) }
    }
  }

  private func setString(_ v: UnsafeMutablePointer<AnyValue>, _ s: String, in arena: EncodingArena)
  {
    v.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE
    v.pointee.string_value = cString(s, in: arena)
  }

  private func setBool(_ v: UnsafeMutablePointer<AnyValue>, _ b: Bool) {
    spansBound += Bound.scalar
    v.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE
    v.pointee.bool_value = b ? 1 : 0
  }

  private func setInt(_ v: UnsafeMutablePointer<AnyValue>, _ i: Int64) {
    spansBound += Bound.scalar
    v.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE
    v.pointee.int_value = i
  }

  private func setDouble(_ v: UnsafeMutablePointer<AnyValue>, _ d: Double) {
    spansBound += Bound.scalar
    v.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE
    v.pointee.double_value = d
  }

  private func setArray(
    _ v: UnsafeMutablePointer<AnyValue>, _ count: Int, in arena: EncodingArena,
    _ element: (UnsafeMutablePointer<AnyValue>, Int) -> Void
  ) {
    // The array value's framing, and each element's list entry.
    spansBound += Bound.delimited * (1 + count)
    let array = arena.allocate(ArrayValue.self)
    array.initialize(to: arrayValuePrototype)
    if count > 0 {
      let list = arena.allocate(UnsafeMutablePointer<AnyValue>?.self, count: count)
      let values = arena.allocate(AnyValue.self, count: count)
      for i in 0..<count {
        (values + i).initialize(to: anyValuePrototype)
        element(values + i, i)
        list[i] = values + i
      }
      array.pointee.n_values = count
      array.pointee.values = list
    }
    v.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE
    v.pointee.array_value = array
  }

  /// `string` as a C string in `arena`, counting it (with its field's framing) in the bound.
  private func cString(_ string: String, in arena: EncodingArena) -> UnsafeMutablePointer<CChar> {
    spansBound += Bound.delimited + string.utf8.count
    return arena.cString(string)
  }
}
