/// An incremental parser for `text/event-stream` bodies (WHATWG HTML "server-sent events",
/// section 9.2.6), fed chunk by chunk as they arrive: chunk boundaries may fall anywhere,
/// including inside a line or between the CR and LF of a line ending.
///
/// Only what OpenAI streams use is kept: the `event` name and the `data` lines (joined by LF).
/// Comments, `id` and `retry` are read and ignored; an event without data is not dispatched;
/// an event not ended by a blank line before the stream ends is dropped, as the spec says.
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

  public init() {}

  /// Feeds one chunk; `onEvent` is called for each event completed by it, in order.
  public mutating func feed(_ chunk: [UInt8], _ onEvent: (Event) -> Void) {
    chunk.withUnsafeBufferPointer { feed($0, onEvent) }
  }

  mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, _ onEvent: (Event) -> Void) {
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
      } else {
        partialLine.append(contentsOf: chunk[lineStart..<index])
        let line = partialLine
        partialLine.removeAll(keepingCapacity: true)
        line.withUnsafeBufferPointer { processLine($0, onEvent) }
      }
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
      partialLine.append(contentsOf: chunk[lineStart..<chunk.count])
    }
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
    if line[0] == UInt8(ascii: ":") { return }  // comment
    let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.count
    var valueStart = min(colon + 1, line.count)
    if valueStart < line.count, line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
    let field = UnsafeBufferPointer(rebasing: line[0..<colon])
    let value = line[valueStart..<line.count]
    if field.elementsEqual("data".utf8) {
      if hasData { data.append(0x0A) }
      data.append(contentsOf: value)
      hasData = true
    } else if field.elementsEqual("event".utf8) {
      eventName = String(decoding: value, as: UTF8.self)
    }
  }
}
