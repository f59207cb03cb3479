/// An incremental parser for `text/event-stream` bodies (WHATWG HTML "server-sent events",
/// section 9.2.6), fed chunk by chunk as they arrive: chunk boundaries may fall anywhere,
/// including inside a line or between the CR and LF of a line ending.
///
/// Only what OpenAI streams use is kept: the `event` name and the `data` lines (joined by LF).
/// Comments, `id` and `retry` are read and ignored; an event without data is not dispatched;
/// an event not ended by a blank line before the stream ends is dropped, as the spec says.
///
/// What it keeps between chunks grows with the backend's bytes, so it is bounded: a line longer
/// than `maxEventBytes`, or an event whose data would pass it, makes the parser stop for good
/// (`limitExceeded`), drop what it held and ignore the rest of the stream. The bound does not
/// depend on where chunks split the stream.
public struct ServerSentEventParser: Sendable {
  /// One dispatched event.
  public struct Event: Sendable, Equatable {
    /// The `event` field, nil for the default `message`.
    public var name: String?
    /// The `data` lines joined by LF.
    public var data: [UInt8]

    public init(name: String? = nil, data: [UInt8]) {
      self.name = name
      self.data = data
    }
  }

  /// The incomplete line carried over from the previous chunk.
  private var partialLine: [UInt8] = []
  private var data: [UInt8] = []
  private var hasData = false
  private var eventName: String?
  /// The previous chunk ended with CR: a LF starting this chunk belongs to that line ending.
  private var skipLeadingLF = false
  /// The longest line, and the most data one event may hold.
  public let maxEventBytes: Int
  /// A line or an event was larger than `maxEventBytes`: nothing more is parsed.
  public private(set) var limitExceeded = false
  /// The bytes kept between chunks (the unfinished line and event): never more than about
  /// twice `maxEventBytes`.
  var heldBytes: Int { partialLine.count + data.count }

  /// 1 MiB: the router's `max_sse_event_bytes` default. A chat chunk is a few hundred bytes;
  /// the largest events are the closing `response.completed` of a native Responses stream,
  /// which repeats the whole answer, as large as a buffered answer (`max_body_bytes`).
  public static let defaultMaxEventBytes = 1 << 20

  public init(maxEventBytes: Int = ServerSentEventParser.defaultMaxEventBytes) {
    self.maxEventBytes = maxEventBytes
  }

  /// Feeds one chunk; `onEvent` is called for each event completed by it, in order.
  public mutating func feed(_ chunk: [UInt8], _ onEvent: (Event) -> Void) {
    chunk.withUnsafeBufferPointer { feed($0, onEvent) }
  }

  mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, _ onEvent: (Event) -> Void) {
    guard !limitExceeded else { return }
    var index = 0
    if skipLeadingLF, !chunk.isEmpty {
      skipLeadingLF = false
      if chunk[0] == 0x0A { index = 1 }
    }
    var lineStart = index
    while index < chunk.count {
      let byte = chunk[index]
      guard byte == 0x0A || byte == 0x0D else {
        index += 1
        continue
      }
      if partialLine.isEmpty {
        processLine(UnsafeBufferPointer(rebasing: chunk[lineStart..<index]), onEvent)
      } else if partialLine.count + (index - lineStart) > maxEventBytes {
        exceedLimit()
      } else {
        partialLine.append(contentsOf: chunk[lineStart..<index])
        let line = partialLine
        partialLine.removeAll(keepingCapacity: true)
        line.withUnsafeBufferPointer { processLine($0, onEvent) }
      }
      if limitExceeded { return }
      index += 1
      if byte == 0x0D {
        if index < chunk.count {
          if chunk[index] == 0x0A { index += 1 }
        } else {
          skipLeadingLF = true
        }
      }
      lineStart = index
    }
    if lineStart < chunk.count {
      guard partialLine.count + (chunk.count - lineStart) <= maxEventBytes else {
        exceedLimit()
        return
      }
      partialLine.append(contentsOf: chunk[lineStart..<chunk.count])
    }
  }

  /// Stops parsing and frees what was held.
  private mutating func exceedLimit() {
    limitExceeded = true
    partialLine = []
    data = []
    hasData = false
    eventName = nil
  }

  private mutating func processLine(
    _ line: UnsafeBufferPointer<UInt8>, _ onEvent: (Event) -> Void
  ) {
    if line.isEmpty {
      if hasData {
        onEvent(Event(name: eventName, data: data))
      }
      data.removeAll(keepingCapacity: true)
      hasData = false
      eventName = nil
      return
    }
    guard line.count <= maxEventBytes else {
      exceedLimit()
      return
    }
    if line[0] == UInt8(ascii: ":") { return }  // comment
    let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.count
    var valueStart = min(colon + 1, line.count)
    if valueStart < line.count, line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
    let field = UnsafeBufferPointer(rebasing: line[0..<colon])
    let value = line[valueStart..<line.count]
    if field.elementsEqual("data".utf8) {
      guard data.count + (hasData ? 1 : 0) + value.count <= maxEventBytes else {
        exceedLimit()
        return
      }
      if hasData { data.append(0x0A) }
      data.append(contentsOf: value)
      hasData = true
    } else if field.elementsEqual("event".utf8) {
      eventName = String(decoding: value, as: UTF8.self)
    }
  }
}
