/// One RESP2 value, as Redis sends it
/// (https://redis.io/docs/latest/develop/reference/protocol-spec/).
public enum RESPValue: Sendable, Equatable {
  /// `+OK`: a short status line.
  case simpleString(String)
  /// `-ERR ...`: an error reply to one command (the connection stays usable).
  case error(String)
  /// `:42`.
  case integer(Int64)
  /// `$n`: binary-safe bytes; nil for the null bulk string `$-1`.
  case bulkString([UInt8]?)
  /// `*n`: nested values; nil for the null array `*-1`.
  case array([RESPValue]?)

  /// The bytes of a bulk or simple string, nil for anything else (null included).
  public var bytes: [UInt8]? {
    switch self {
    case .bulkString(let bytes): bytes
    case .simpleString(let text): Array(text.utf8)
    default: nil
    }
  }

  /// The elements of an array, nil for anything else (null included).
  public var elements: [RESPValue]? {
    if case .array(let elements) = self { return elements }
    return nil
  }

  /// The value of an integer reply, nil for anything else.
  public var integer: Int64? {
    if case .integer(let value) = self { return value }
    return nil
  }
}
