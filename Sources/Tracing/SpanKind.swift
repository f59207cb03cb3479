/// The role of a span in a trace (OTLP `Span.SpanKind`; raw values are the proto numbers).
public enum SpanKind: Int32, Sendable, Hashable {
  case `internal` = 1
  case server = 2
  case client = 3
  case producer = 4
  case consumer = 5
}
