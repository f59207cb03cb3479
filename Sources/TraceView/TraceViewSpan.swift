/// One span as the trace view received it: ids in lower-case hex, times in Unix nanoseconds,
/// the `service.name` of its resource, and its attributes and status.
public struct TraceViewSpan: Sendable, Equatable {
  /// OTLP `Span.SpanKind`.
  public enum Kind: Int, Sendable {
    case unspecified = 0
    case `internal` = 1
    case server = 2
    case client = 3
    case producer = 4
    case consumer = 5

    /// Lower-case name (`server`, `client`, ...).
    public var name: String {
      switch self {
      case .unspecified: "unspecified"
      case .internal: "internal"
      case .server: "server"
      case .client: "client"
      case .producer: "producer"
      case .consumer: "consumer"
      }
    }
  }

  /// OTLP `Status.StatusCode`.
  public enum StatusCode: Sendable, Equatable {
    case unset
    case ok
    case error

    /// Lower-case name (`unset`, `ok`, `error`).
    public var name: String {
      switch self {
      case .unset: "unset"
      case .ok: "ok"
      case .error: "error"
      }
    }
  }

  /// 32 lower-case hex digits.
  public var traceID: String
  /// 16 lower-case hex digits.
  public var spanID: String
  /// The parent's span id, nil for a root span.
  public var parentSpanID: String?
  public var name: String
  public var kind: Kind
  /// The `service.name` resource attribute (`unknown_service` when absent).
  public var service: String
  public var startTimeUnixNano: UInt64
  public var endTimeUnixNano: UInt64
  public var attributes: [TraceViewAttribute]
  public var statusCode: StatusCode
  public var statusMessage: String

  public init(
    traceID: String, spanID: String, parentSpanID: String? = nil, name: String,
    kind: Kind = .internal, service: String, startTimeUnixNano: UInt64, endTimeUnixNano: UInt64,
    attributes: [TraceViewAttribute] = [], statusCode: StatusCode = .unset,
    statusMessage: String = ""
  ) {
    self.traceID = traceID
    self.spanID = spanID
    self.parentSpanID = parentSpanID
    self.name = name
    self.kind = kind
    self.service = service
    self.startTimeUnixNano = startTimeUnixNano
    self.endTimeUnixNano = endTimeUnixNano
    self.attributes = attributes
    self.statusCode = statusCode
    self.statusMessage = statusMessage
  }

  /// The value of the attribute `key`, if present.
  public func attribute(_ key: String) -> TraceViewAttribute.Value? {
    attributes.first { $0.key == key }?.value
  }

  /// End minus start, 0 when the end is missing or before the start.
  public var durationNanoseconds: UInt64 {
    endTimeUnixNano > startTimeUnixNano ? endTimeUnixNano - startTimeUnixNano : 0
  }
}

/// One span attribute (OTLP `KeyValue`).
public struct TraceViewAttribute: Sendable, Equatable {
  /// OTLP `AnyValue`.
  public indirect enum Value: Sendable, Equatable {
    case string(String)
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case bytes([UInt8])
    case array([Value])
    case keyValues([TraceViewAttribute])
    /// An `AnyValue` with no value set.
    case empty
  }

  public var key: String
  public var value: Value

  public init(_ key: String, _ value: Value) {
    self.key = key
    self.value = value
  }
}
