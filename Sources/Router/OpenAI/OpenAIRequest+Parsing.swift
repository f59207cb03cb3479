extension OpenAIRequest {
  /// Parses a request body in one pass: reads `model`, `messages`, `prompt` and `stream`, and
  /// skips (while validating) everything else. The whole body must be one JSON object.
  public static func parse(
    _ body: [UInt8], endpoint: Endpoint
  ) throws(OpenAIRequestError) -> OpenAIRequest {
    do {
      return try body.withUnsafeBufferPointer { buffer throws(RequestParseFailure) in
        var parser = RequestParser(scanner: JSONScanner(buffer), endpoint: endpoint)
        return try parser.parse()
      }
    } catch {
      switch error {
      case .syntax(let syntax):
        throw OpenAIRequestError.invalidJSON(offset: syntax.offset, reason: syntax.reason)
      case .request(let requestError):
        throw requestError
      }
    }
  }
}

/// A syntax error or a request-shape error, kept apart while parsing.
private enum RequestParseFailure: Error {
  case syntax(JSONScanner.SyntaxError)
  case request(OpenAIRequestError)
}

/// The one-pass parser behind `OpenAIRequest.parse`.
private struct RequestParser {
  var scanner: JSONScanner
  let endpoint: OpenAIRequest.Endpoint
  /// The prompt's text values read so far, and the message being read.
  var textValues: [OpenAIRequest.TextValue] = []
  var message: Int?

  mutating func parse() throws(RequestParseFailure) -> OpenAIRequest {
    do {
      return try parseObject()
    } catch let error as JSONScanner.SyntaxError {
      throw .syntax(error)
    } catch let error as OpenAIRequestError {
      throw .request(error)
    } catch {
      preconditionFailure("unexpected error \(error)")
    }
  }

  private mutating func parseObject() throws -> OpenAIRequest {
    guard scanner.peek() == UInt8(ascii: "{") else {
      if scanner.isAtEnd { throw OpenAIRequestError.invalidJSON(offset: 0, reason: "empty body") }
      let found = scanner.nextValueKind()
      try scanner.skipValue()
      try scanner.expectEnd()
      throw OpenAIRequestError.wrongType(field: "(body)", expected: "an object", found: found)
    }
    var model: (String, Range<Int>)?
    var messages: [OpenAIRequest.Message]?
    var prompt: String?
    var stream = false
    if try scanner.beginObject() {
      repeat {
        let key = try scanner.readKey()
        if scanner.key(key, is: "model") {
          _ = scanner.peek()
          let start = scanner.index
          guard let value = try scanner.readStringIfPresent() else {
            throw try wrongType("model", expected: "a string")
          }
          model = (value, start..<scanner.index)
        } else if scanner.key(key, is: "stream") {
          if let value = try scanner.readBoolIfPresent() {
            stream = value
          } else if try !scanner.readNullIfPresent() {
            throw try wrongType("stream", expected: "a boolean")
          }
        } else if endpoint == .chatCompletions, scanner.key(key, is: "messages") {
          messages = try parseMessages()
        } else if endpoint == .completions, scanner.key(key, is: "prompt") {
          prompt = try parsePrompt()
        } else {
          try scanner.skipValue(depth: 1)
        }
      } while try scanner.nextOrEnd(UInt8(ascii: "}"))
    }
    try scanner.expectEnd()

    guard let (modelName, modelRange) = model else {
      throw OpenAIRequestError.missingField("model")
    }
    switch endpoint {
    case .chatCompletions:
      guard let messages else { throw OpenAIRequestError.missingField("messages") }
      guard !messages.isEmpty else {
        throw OpenAIRequestError.invalidValue(field: "messages", reason: "it must not be empty")
      }
      return OpenAIRequest(
        endpoint: endpoint, model: modelName, modelValueRange: modelRange, messages: messages,
        stream: stream, textValues: textValues)
    case .completions:
      guard let prompt else { throw OpenAIRequestError.missingField("prompt") }
      return OpenAIRequest(
        endpoint: endpoint, model: modelName, modelValueRange: modelRange, prompt: prompt,
        stream: stream, textValues: textValues)
    }
  }

  private mutating func parseMessages() throws -> [OpenAIRequest.Message] {
    guard scanner.peek() == UInt8(ascii: "[") else {
      throw try wrongType("messages", expected: "an array")
    }
    var messages: [OpenAIRequest.Message] = []
    guard try scanner.beginArray() else { return messages }
    repeat {
      message = messages.count
      messages.append(try parseMessage(at: "messages[\(messages.count)]"))
    } while try scanner.nextOrEnd(UInt8(ascii: "]"))
    return messages
  }

  private mutating func parseMessage(at path: String) throws -> OpenAIRequest.Message {
    guard scanner.peek() == UInt8(ascii: "{") else {
      throw try wrongType(path, expected: "an object")
    }
    var role: String?
    var content = ""
    if try scanner.beginObject() {
      repeat {
        let key = try scanner.readKey()
        if scanner.key(key, is: "role") {
          guard let value = try scanner.readStringIfPresent() else {
            throw try wrongType("\(path).role", expected: "a string")
          }
          role = value
        } else if scanner.key(key, is: "content") {
          content = try parseContent(at: "\(path).content")
        } else {
          try scanner.skipValue(depth: 3)
        }
      } while try scanner.nextOrEnd(UInt8(ascii: "}"))
    }
    guard let role else { throw OpenAIRequestError.missingField("\(path).role") }
    return OpenAIRequest.Message(role: role, content: content)
  }

  /// A string, null, or an array of content parts whose `text` parts are joined by newlines.
  private mutating func parseContent(at path: String) throws -> String {
    if let text = try readTextIfPresent() { return text }
    if try scanner.readNullIfPresent() { return "" }
    guard scanner.peek() == UInt8(ascii: "[") else {
      throw try wrongType(path, expected: "a string or an array of content parts")
    }
    var texts: [String] = []
    guard try scanner.beginArray() else { return "" }
    var index = 0
    repeat {
      if let text = try parsePart(at: "\(path)[\(index)]") { texts.append(text) }
      index += 1
    } while try scanner.nextOrEnd(UInt8(ascii: "]"))
    return texts.joined(separator: "\n")
  }

  /// One content part; returns its text when its type is `text`.
  private mutating func parsePart(at path: String) throws -> String? {
    guard scanner.peek() == UInt8(ascii: "{") else {
      throw try wrongType(path, expected: "an object")
    }
    var type: String?
    var text: String?
    if try scanner.beginObject() {
      repeat {
        let key = try scanner.readKey()
        if scanner.key(key, is: "type") {
          guard let value = try scanner.readStringIfPresent() else {
            throw try wrongType("\(path).type", expected: "a string")
          }
          type = value
        } else if scanner.key(key, is: "text") {
          guard let value = try readTextIfPresent() else {
            throw try wrongType("\(path).text", expected: "a string")
          }
          text = value
        } else {
          try scanner.skipValue(depth: 5)
        }
      } while try scanner.nextOrEnd(UInt8(ascii: "}"))
    }
    guard let type else { throw OpenAIRequestError.missingField("\(path).type") }
    guard type == "text" else { return nil }
    guard let text else { throw OpenAIRequestError.missingField("\(path).text") }
    return text
  }

  /// A string, an array of strings (joined by newlines), or token arrays (no text).
  private mutating func parsePrompt() throws -> String {
    message = nil
    if let text = try readTextIfPresent() { return text }
    guard scanner.peek() == UInt8(ascii: "[") else {
      throw try wrongType("prompt", expected: "a string or an array")
    }
    var texts: [String] = []
    guard try scanner.beginArray() else { return "" }
    var index = 0
    repeat {
      if let text = try readTextIfPresent() {
        texts.append(text)
      } else if scanner.peek() == UInt8(ascii: "[") || scanner.peek().map({ $0 &- 48 < 10 }) == true
      {
        try scanner.skipValue(depth: 2)  // token ids: nothing to classify
      } else {
        throw try wrongType("prompt[\(index)]", expected: "a string or token ids")
      }
      index += 1
    } while try scanner.nextOrEnd(UInt8(ascii: "]"))
    return texts.joined(separator: "\n")
  }

  /// A string that is part of the prompt, noted in `textValues` with its range.
  private mutating func readTextIfPresent() throws -> String? {
    _ = scanner.peek()
    let start = scanner.index
    guard let text = try scanner.readStringIfPresent() else { return nil }
    textValues.append(
      OpenAIRequest.TextValue(range: start..<scanner.index, text: text, message: message))
    return text
  }

  /// The wrong-type error for the value about to be read; the value is skipped first, so a
  /// syntax error inside it is reported as invalid JSON rather than as a type error.
  private mutating func wrongType(_ field: String, expected: String) throws -> OpenAIRequestError {
    let found = scanner.nextValueKind()
    try scanner.skipValue(depth: 1)
    return .wrongType(field: field, expected: expected, found: found)
  }
}
