/// What to do with a body (ext_proc `BodyMutation`).
public enum BodyMutation: Sendable, Equatable {
  /// Leave the body as it is.
  case none
  /// Replace the body (in STREAMED mode: this chunk) with these bytes.
  case replace([UInt8])
  /// Replace the body (in STREAMED mode: this chunk) with nothing.
  case clear
}
