/// The reads one readiness event allows on a non-blocking socket, shared by every connection.
///
/// At most `maxReadsPerEvent` reads into the loop's buffer, each handed on before the next, so
/// one busy peer cannot hold its loop: with the loop's 256 KiB buffer
/// (`EventLoop.defaultReadBufferSize`) a flooding connection gets at most 1 MiB per turn, then
/// every other ready descriptor, the timers and the handed-over tasks get theirs. The loop
/// registers level-triggered (no EPOLLET), so a capped socket that still holds bytes is reported
/// again by the next wait and nothing needs re-arming.
enum SocketReader {
  /// How one event's reads ended.
  enum Outcome: Equatable {
    /// The socket had nothing more for now (EAGAIN, or a read that did not fill the buffer).
    case drained
    /// `maxReadsPerEvent` reads each filled the buffer; the rest waits for the next turn.
    case capped
    /// The consumer asked for no more (it closed, or wants to act before reading on).
    case stopped
    /// The peer closed its sending side (a read returned 0).
    case endOfStream
    case failed(SystemError)
  }

  /// Reads per event, as swift-nio's `maxMessagesPerRead` (4): enough that a burst of small
  /// messages is taken in one turn, few enough that the loop soon moves on.
  static let maxReadsPerEvent = 4

  /// Reads `fd` into `buffer` and hands each chunk to `consume`, which returns false to stop.
  static func read(
    _ fd: Int32, into buffer: UnsafeMutableRawBufferPointer,
    _ consume: (UnsafeRawBufferPointer) -> Bool
  ) -> Outcome {
    for _ in 0..<maxReadsPerEvent {
      let result: IOResult<Int>
      do {
        result = try Syscall.read(fd, buffer)
      } catch {
        return .failed(error)
      }
      guard case .processed(let count) = result else { return .drained }
      if count == 0 { return .endOfStream }
      guard consume(UnsafeRawBufferPointer(rebasing: buffer[..<count])) else { return .stopped }
      if count < buffer.count { return .drained }
    }
    return .capped
  }
}
