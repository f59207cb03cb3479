/// Turns a complete (non-streamed) OpenAI completion into the equivalent `text/event-stream`
/// body, so a cached answer can be served to a client that asked for `stream: true`.
///
/// Per choice: one chunk with the whole content, one with the finish reason; then a chunk with
/// the usage (when the completion had one) and `data: [DONE]`.
public enum OpenAIStreamEncoder {
  private struct Choice {
    var index = 0
    var content: String?
    var finishReason: String?
  }

  /// The SSE body for `completion`, or nil when it is not a completion object.
  public static func eventStream(fromCompletion completion: [UInt8]) -> [UInt8]? {
    completion.withUnsafeBufferPointer { bytes -> [UInt8]? in
      var scanner = JSONScanner(bytes)
      var id = "cached"
      var created = 0
      var model = ""
      var object = "chat.completion"
      var usage: Range<Int>?
      var choices: [Choice] = []
      do {
        guard scanner.peek() == UInt8(ascii: "{"), try scanner.beginObject() else { return nil }
        repeat {
          let key = try scanner.readKey()
          if scanner.key(key, is: "id"), let value = try scanner.readStringIfPresent() {
            id = value
          } else if scanner.key(key, is: "created"), let value = try scanner.readIntegerIfPresent()
          {
            created = value ?? 0
          } else if scanner.key(key, is: "model"), let value = try scanner.readStringIfPresent() {
            model = value
          } else if scanner.key(key, is: "object"), let value = try scanner.readStringIfPresent() {
            object = value
          } else if scanner.key(key, is: "usage"), scanner.peek() == UInt8(ascii: "{") {
            let start = scanner.index
            try scanner.skipValue(depth: 1)
            usage = start..<scanner.index
          } else if scanner.key(key, is: "choices"), scanner.peek() == UInt8(ascii: "[") {
            choices = try readChoices(&scanner)
          } else {
            try scanner.skipValue(depth: 1)
          }
        } while try scanner.nextOrEnd(UInt8(ascii: "}"))
        try scanner.expectEnd()
      } catch {
        return nil
      }
      let isChat = !object.hasPrefix("text_completion")
      var output: [UInt8] = []
      output.reserveCapacity(bytes.count * 2 + 256)
      func chunk(
        _ choicesJSON: (inout [UInt8]) -> Void, after: ((inout [UInt8]) -> Void)? = nil
      ) {
        JSONWriter.appendRaw("data: {\"id\":", to: &output)
        JSONWriter.appendString(id, to: &output)
        JSONWriter.appendRaw(",\"object\":", to: &output)
        JSONWriter.appendString(isChat ? "chat.completion.chunk" : "text_completion", to: &output)
        JSONWriter.appendRaw(",\"created\":\(created),\"model\":", to: &output)
        JSONWriter.appendString(model, to: &output)
        JSONWriter.appendRaw(",\"choices\":[", to: &output)
        choicesJSON(&output)
        JSONWriter.appendRaw("]", to: &output)
        after?(&output)
        JSONWriter.appendRaw("}\n\n", to: &output)
      }
      for choice in choices {
        chunk { output in
          JSONWriter.appendRaw("{\"index\":\(choice.index),", to: &output)
          if isChat {
            JSONWriter.appendRaw("\"delta\":{\"role\":\"assistant\",\"content\":", to: &output)
            JSONWriter.appendString(choice.content ?? "", to: &output)
            JSONWriter.appendRaw("},", to: &output)
          } else {
            JSONWriter.appendRaw("\"text\":", to: &output)
            JSONWriter.appendString(choice.content ?? "", to: &output)
            JSONWriter.appendRaw(",", to: &output)
          }
          JSONWriter.appendRaw("\"finish_reason\":null}", to: &output)
        }
        chunk { output in
          JSONWriter.appendRaw("{\"index\":\(choice.index),", to: &output)
          JSONWriter.appendRaw(isChat ? "\"delta\":{}," : "\"text\":\"\",", to: &output)
          JSONWriter.appendRaw("\"finish_reason\":", to: &output)
          if let reason = choice.finishReason {
            JSONWriter.appendString(reason, to: &output)
          } else {
            JSONWriter.appendRaw("\"stop\"", to: &output)
          }
          JSONWriter.appendRaw("}", to: &output)
        }
      }
      if let usage {
        // Empty choices and the usage copied verbatim, like OpenAI's
        // `stream_options.include_usage` final chunk.
        chunk({ _ in }) { output in
          JSONWriter.appendRaw(",\"usage\":", to: &output)
          output.append(contentsOf: bytes[usage])
        }
      }
      JSONWriter.appendRaw("data: [DONE]\n\n", to: &output)
      return output
    }
  }

  private static func readChoices(_ scanner: inout JSONScanner) throws(JSONScanner.SyntaxError)
    -> [Choice]
  {
    var choices: [Choice] = []
    guard try scanner.beginArray() else { return choices }
    repeat {
      var choice = Choice(index: choices.count)
      guard scanner.peek() == UInt8(ascii: "{") else {
        try scanner.skipValue(depth: 2)
        continue
      }
      if try scanner.beginObject() {
        repeat {
          let key = try scanner.readKey()
          if scanner.key(key, is: "index"), let value = try scanner.readIntegerIfPresent() {
            choice.index = value ?? choice.index
          } else if scanner.key(key, is: "text"), let value = try scanner.readStringIfPresent() {
            choice.content = value
          } else if scanner.key(key, is: "finish_reason"),
            let value = try scanner.readStringIfPresent()
          {
            choice.finishReason = value
          } else if scanner.key(key, is: "message"), scanner.peek() == UInt8(ascii: "{") {
            choice.content = try readMessageContent(&scanner)
          } else {
            try scanner.skipValue(depth: 3)
          }
        } while try scanner.nextOrEnd(UInt8(ascii: "}"))
      }
      choices.append(choice)
    } while try scanner.nextOrEnd(UInt8(ascii: "]"))
    return choices
  }

  private static func readMessageContent(_ scanner: inout JSONScanner)
    throws(JSONScanner.SyntaxError) -> String?
  {
    var content: String?
    guard try scanner.beginObject() else { return nil }
    repeat {
      let key = try scanner.readKey()
      if scanner.key(key, is: "content"), let value = try scanner.readStringIfPresent() {
        content = value
      } else {
        try scanner.skipValue(depth: 4)
      }
    } while try scanner.nextOrEnd(UInt8(ascii: "}"))
    return content
  }
}
