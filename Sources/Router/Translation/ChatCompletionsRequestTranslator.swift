/// Writes a Responses or Messages request as the chat-completions request a backend without
/// that API serves: the messages (instructions or system first), the chosen model, `stream`
/// with `stream_options.include_usage` (so the answer's usage can be given back), and the
/// generation parameters kept under their chat names (`max_tokens`, `temperature`, `top_p`,
/// `stop`).
enum ChatCompletionsRequestTranslator {
  /// The chat-completions body for `request` sent to `model`.
  static func body(for request: OpenAIRequest, model: String) -> [UInt8] {
    var members: [JSONValue.Member] = [
      JSONValue.Member("model", .string(model)),
      JSONValue.Member(
        "messages",
        .array(
          request.messages.map { message in
            .object([
              JSONValue.Member("role", .string(chatRole(message.role))),
              JSONValue.Member("content", .string(message.content)),
            ])
          })),
    ]
    if request.stream {
      members.append(JSONValue.Member("stream", .bool(true)))
      members.append(
        JSONValue.Member(
          "stream_options", .object([JSONValue.Member("include_usage", .bool(true))])))
    }
    var output = JSONValue.object(members).serialized
    output.removeLast()  // the closing brace: the raw parameters follow
    for parameter in request.parameters {
      output.append(UInt8(ascii: ","))
      JSONWriter.appendString(parameter.name, to: &output)
      output.append(UInt8(ascii: ":"))
      output.append(contentsOf: parameter.json)
    }
    output.append(UInt8(ascii: "}"))
    return output
  }

  /// Responses `developer` messages are system messages to a chat backend that predates the
  /// role; every other role is the same in both APIs.
  private static func chatRole(_ role: String) -> String {
    role == "developer" ? "system" : role
  }
}
