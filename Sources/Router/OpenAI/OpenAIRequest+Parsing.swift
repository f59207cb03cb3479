extension OpenAIRequest {
  /// Parses a request body in one pass: reads `model`, `stream` and the endpoint's text
  /// (`messages`, `prompt`, `input` and `instructions`, or `messages` and `system`), keeps the
  /// generation parameters a translation needs, and skips (while validating) everything else.
  /// The whole body must be one JSON object.
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
  /// Parameters a translation keeps, and the first feature it would lose.
  var parameters: [OpenAIRequest.Parameter] = []
  var untranslatable: String? = nil
  /// The prompt's text values read so far, and the message being read (`systemMessage` for a
  /// Responses `instructions` or a Messages `system`, which become message 0 at the end).
  var textValues: [OpenAIRequest.TextValue] = []
  var message: Int?
  static let systemMessage = -1

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
    var system: String?
    var prompt: String?
    var stream = false
    var maxTokens = false
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
          messages = try parseMessages(at: "messages")
        } else if endpoint == .completions, scanner.key(key, is: "prompt") {
          prompt = try parsePrompt()
        } else if endpoint == .responses, scanner.key(key, is: "input") {
          messages = try parseInput()
        } else if endpoint == .responses, scanner.key(key, is: "instructions") {
          message = Self.systemMessage
          system = try parseOptionalText("instructions")
        } else if endpoint == .messages, scanner.key(key, is: "messages") {
          messages = try parseMessages(at: "messages")
        } else if endpoint == .messages, scanner.key(key, is: "system") {
          message = Self.systemMessage
          system = try parseContent(at: "system")
        } else if endpoint == .messages, scanner.key(key, is: "max_tokens") {
          guard case .some(.some) = try scanner.readIntegerIfPresent() else {
            throw try wrongType("max_tokens", expected: "an integer")
          }
          maxTokens = true
          keepParameter("max_tokens", from: key)
        } else if endpoint == .responses || endpoint == .messages {
          try readTranslationKey(key)
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
    case .chatCompletions, .messages, .responses:
      let field = endpoint == .responses ? "input" : "messages"
      guard var messages else { throw OpenAIRequestError.missingField(field) }
      if endpoint != .responses, messages.isEmpty {
        throw OpenAIRequestError.invalidValue(field: "messages", reason: "it must not be empty")
      }
      if endpoint == .messages, !maxTokens {
        throw OpenAIRequestError.missingField("max_tokens")
      }
      if let system { messages.insert(.init(role: "system", content: system), at: 0) }
      return OpenAIRequest(
        endpoint: endpoint, model: modelName, modelValueRange: modelRange, messages: messages,
        stream: stream, parameters: parameters, untranslatable: untranslatable,
        textValues: textValuesAfterSystem(inserted: system != nil))
    case .completions:
      guard let prompt else { throw OpenAIRequestError.missingField("prompt") }
      return OpenAIRequest(
        endpoint: endpoint, model: modelName, modelValueRange: modelRange, prompt: prompt,
        stream: stream, textValues: textValues)
    }
  }

  // MARK: - Responses and Messages

  /// Notes `feature` as lost in a translation, unless an earlier one was.
  private mutating func lose(_ feature: String) {
    if untranslatable == nil { untranslatable = feature }
  }

  /// Keeps the value just read (it ends at the scanner's position) under `name`.
  private mutating func keepParameter(_ name: String, from key: JSONScanner.Key) {
    var start = key.range.upperBound + 1  // past the closing quote
    while start < scanner.index,
      scanner.bytes[start] != UInt8(ascii: ":")
    {
      start += 1
    }
    var json = Array(scanner.bytes[(start + 1)..<scanner.index])
    while let first = json.first, first == 0x20 || first == 0x0A || first == 0x0D || first == 0x09 {
      json.removeFirst()
    }
    parameters.append(OpenAIRequest.Parameter(name: name, json: json))
  }

  /// A top-level key of a Responses or Messages body other than the ones classification
  /// needs: generation parameters are kept for a translation, features it cannot carry are
  /// noted, everything else is skipped.
  private mutating func readTranslationKey(_ key: JSONScanner.Key) throws {
    let kept: [(StaticString, String)] =
      endpoint == .responses
      ? [("max_output_tokens", "max_tokens"), ("temperature", "temperature"), ("top_p", "top_p")]
      : [("temperature", "temperature"), ("top_p", "top_p"), ("stop_sequences", "stop")]
    for (name, chatName) in kept where scanner.key(key, is: name) {
      if try scanner.readNullIfPresent() { return }
      try scanner.skipValue(depth: 1)
      keepParameter(chatName, from: key)
      return
    }
    if scanner.key(key, is: "tools") {
      if try isNonEmptyArray() { lose("tools") }
    } else if endpoint == .responses, scanner.key(key, is: "previous_response_id") {
      if try !scanner.readNullIfPresent() {
        try scanner.skipValue(depth: 1)
        lose("previous_response_id")
      }
    } else if endpoint == .responses, scanner.key(key, is: "conversation") {
      if try !scanner.readNullIfPresent() {
        try scanner.skipValue(depth: 1)
        lose("conversation")
      }
    } else if endpoint == .responses, scanner.key(key, is: "store") {
      if let store = try scanner.readBoolIfPresent() {
        if store { lose("store") }
      } else {
        try scanner.skipValue(depth: 1)
      }
    } else {
      try scanner.skipValue(depth: 1)
    }
  }

  /// Consumes a value; true when it is an array with at least one element.
  private mutating func isNonEmptyArray() throws -> Bool {
    guard scanner.peek() == UInt8(ascii: "[") else {
      try scanner.skipValue(depth: 1)
      return false
    }
    var probe = scanner
    let nonEmpty = try probe.beginArray()
    try scanner.skipValue(depth: 1)
    return nonEmpty
  }

  /// A string or null.
  private mutating func parseOptionalText(_ field: String) throws -> String? {
    if let text = try readTextIfPresent() { return text }
    if try scanner.readNullIfPresent() { return nil }
    throw try wrongType(field, expected: "a string")
  }

  /// Responses `input`: a string (one user message) or a list of input items, of which
  /// messages are read and other items (function calls, item references...) noted as lost.
  private mutating func parseInput() throws -> [OpenAIRequest.Message] {
    message = 0
    if let text = try readTextIfPresent() {
      return [OpenAIRequest.Message(role: "user", content: text)]
    }
    guard scanner.peek() == UInt8(ascii: "[") else {
      throw try wrongType("input", expected: "a string or an array of input items")
    }
    var messages: [OpenAIRequest.Message] = []
    guard try scanner.beginArray() else {
      throw OpenAIRequestError.invalidValue(field: "input", reason: "it must not be empty")
    }
    var index = 0
    repeat {
      message = messages.count
      if let item = try parseMessage(at: "input[\(index)]") { messages.append(item) }
      index += 1
    } while try scanner.nextOrEnd(UInt8(ascii: "]"))
    return messages
  }

  private mutating func parseMessages(at field: String) throws -> [OpenAIRequest.Message] {
    guard scanner.peek() == UInt8(ascii: "[") else {
      throw try wrongType(field, expected: "an array")
    }
    var messages: [OpenAIRequest.Message] = []
    guard try scanner.beginArray() else { return messages }
    var index = 0
    repeat {
      message = messages.count
      if let item = try parseMessage(at: "\(field)[\(index)]") { messages.append(item) }
      index += 1
    } while try scanner.nextOrEnd(UInt8(ascii: "]"))
    return messages
  }

  /// The text values with their message indices as in the finished request: a system text
  /// read from `instructions` or `system` becomes message 0 and every other message moves one
  /// down, when the system message was inserted.
  private func textValuesAfterSystem(inserted: Bool) -> [OpenAIRequest.TextValue] {
    guard inserted else { return textValues }
    return textValues.map { value in
      var value = value
      if let index = value.message {
        value.message = index == Self.systemMessage ? 0 : index + 1
      }
      return value
    }
  }

  /// One message; nil for a Responses input item that is not a message (noted as lost).
  private mutating func parseMessage(at path: String) throws -> OpenAIRequest.Message? {
    guard scanner.peek() == UInt8(ascii: "{") else {
      throw try wrongType(path, expected: "an object")
    }
    var role: String?
    var type: String?
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
        } else if endpoint == .responses, scanner.key(key, is: "type") {
          type = try scanner.readStringIfPresent()
          if type == nil { try scanner.skipValue(depth: 3) }
        } else {
          try scanner.skipValue(depth: 3)
        }
      } while try scanner.nextOrEnd(UInt8(ascii: "}"))
    }
    if let type, type != "message" {
      lose("input items of type '\(type)'")
      return nil
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

  /// Content part types that carry text: chat and Messages `text`, Responses `input_text` and
  /// `output_text` (an earlier answer).
  private static let textPartTypes: Set<String> = ["text", "input_text", "output_text"]

  /// One content part; returns its text when its type is a text type.
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
    guard Self.textPartTypes.contains(type) else {
      if endpoint == .responses || endpoint == .messages { lose("content of type '\(type)'") }
      return nil
    }
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
