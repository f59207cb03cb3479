import Logging

/// One accepted connection of an `HTTP1Server`: reads one request head, answers it, and closes.
///
/// States: reading the head → (for a POST action: awaiting its reply) → writing the response →
/// lingering (our side shut for writing,
/// the client's remaining bytes read and dropped until it closes) → closed. Lingering keeps an
/// unread request body from turning our close into a reset that could destroy the response in
/// flight. One timer bounds each state, so a slow or stuck client holds a connection for at
/// most `requestTimeout` (plus `lingerTimeout`). A connection accepted past the server's
/// connection limit (`priorityOnly`) answers only the priority paths and 503 for the rest.
/// Loop-thread confined.
final class HTTP1ServerConnection: Selectable {
  private enum State {
    case reading
    /// A POST action runs elsewhere; its reply comes back through the loop.
    case awaitingAction
    case writing(offset: Int)
    case lingering
    case closed
  }

  /// The limits a connection enforces.
  struct Limits {
    var maxHeadBytes: Int
    var requestTimeoutNanoseconds: UInt64
    var lingerTimeoutNanoseconds: UInt64
    /// The paths a connection past the connection limit still answers.
    var priorityPaths: Set<String>
  }

  let fd: Int32
  private let loop: EventLoop
  private let limits: Limits
  private let handlers: HTTP1Server.Handlers
  private let peerAddress: String
  private let logger: Logger
  /// Accepted past the connection limit: only `limits.priorityPaths` are answered.
  let priorityOnly: Bool
  private let counters: HTTP1ServerCounters
  private let onClose: (HTTP1ServerConnection) -> Void
  private var state = State.reading
  private var input: [UInt8] = []
  private var output: [UInt8] = []
  private var timer: TimerID?

  init(
    fd: Int32, loop: EventLoop, limits: Limits, handlers: HTTP1Server.Handlers,
    peerAddress: String, logger: Logger, priorityOnly: Bool, counters: HTTP1ServerCounters,
    onClose: @escaping (HTTP1ServerConnection) -> Void
  ) {
    self.fd = fd
    self.loop = loop
    self.limits = limits
    self.handlers = handlers
    self.peerAddress = peerAddress
    self.logger = logger
    self.priorityOnly = priorityOnly
    self.counters = counters
    self.onClose = onClose
  }

  /// Still waiting for its request head (the client has not asked for anything yet).
  var isReadingHead: Bool {
    if case .reading = state { true } else { false }
  }

  /// Registers with the loop and starts the request timer.
  func start() throws(SystemError) {
    try loop.register(fd: fd, handler: self)
    arm(limits.requestTimeoutNanoseconds)
  }

  /// Closes the connection at once (server stop, timeouts, errors). Idempotent.
  func close() {
    if case .closed = state { return }
    state = .closed
    if let timer { loop.cancelTimer(timer) }
    timer = nil
    loop.unregister(fd: fd)
    Syscall.close(fd)
    onClose(self)
  }

  func loopStopped() {
    close()
  }

  // MARK: - Events

  func readable() {
    switch state {
    case .reading:
      readHead()
    case .awaitingAction, .writing, .lingering:
      discardInput()
    case .closed:
      return
    }
  }

  func writable() {
    guard case .writing = state else { return }
    flush()
  }

  private func readHead() {
    let room = max(limits.maxHeadBytes + 4 - input.count, 1)
    let buffer = UnsafeMutableRawBufferPointer(rebasing: loop.readBuffer.prefix(room))
    let count: Int
    do {
      guard case .processed(let read) = try Syscall.read(fd, buffer) else { return }
      count = read
    } catch {
      logger.debug("admin connection read failed: \(error)")
      close()
      return
    }
    guard count > 0 else {
      close()  // the client left before sending a whole head
      return
    }
    input.append(contentsOf: buffer.prefix(count))
    switch HTTP1ServerRequestParser.parse(
      input, maxHeadBytes: limits.maxHeadBytes, peerAddress: peerAddress)
    {
    case .incomplete:
      return
    case .invalid(let status, let reason):
      logger.debug("bad admin request from \(peerAddress): \(reason)")
      respond(HTTP1ServerResponse(status: status, body: reason + "\n"), includeBody: true)
    case .complete(let request):
      respond(to: request)
    }
  }

  private func respond(to request: HTTP1ServerRequest) {
    // An action's path takes POST only; every other path GET and HEAD.
    let action = handlers.actions[request.path]
    let methodAllowed =
      action == nil ? request.method == "GET" || request.method == "HEAD" : request.method == "POST"
    guard methodAllowed else {
      let allowed = action == nil ? "GET, HEAD" : "POST"
      let response = HTTP1ServerResponse(
        status: 405, body: "method not allowed\n", headers: [("Allow", allowed)])
      respond(response, includeBody: true)
      return
    }
    guard !priorityOnly || limits.priorityPaths.contains(request.path) else {
      counters.recordRefused()
      let response = HTTP1ServerResponse(
        status: 503, body: "admin server busy\n", headers: [("Retry-After", "1")])
      respond(response, includeBody: request.method != "HEAD")
      return
    }
    if let action {
      start(action, for: request)
    } else {
      respond(handlers.handler(request), includeBody: request.method != "HEAD")
    }
  }

  /// Hands `request` to `action`; its reply is written once it comes back to the loop.
  private func start(_ action: HTTP1Server.Action, for request: HTTP1ServerRequest) {
    state = .awaitingAction
    if let timer { loop.cancelTimer(timer) }
    timer = nil
    // Touched only on the loop thread: the reply hops back before using it.
    nonisolated(unsafe) let connection = self
    let loop = self.loop
    action(request) { response in
      loop.execute { connection.actionReplied(response) }
    }
  }

  private func actionReplied(_ response: HTTP1ServerResponse) {
    guard case .awaitingAction = state else { return }  // closed meanwhile
    respond(response, includeBody: true)
  }

  private func respond(_ response: HTTP1ServerResponse, includeBody: Bool) {
    input = []
    output = response.serialized(includeBody: includeBody)
    state = .writing(offset: 0)
    flush()
  }

  private func flush() {
    guard case .writing(var offset) = state else { return }
    while offset < output.count {
      let result: IOResult<Int>
      do {
        result = try output.withUnsafeBytes { bytes throws(SystemError) in
          try Syscall.write(fd, UnsafeRawBufferPointer(rebasing: bytes[offset...]))
        }
      } catch {
        logger.debug("admin connection write failed: \(error)")
        close()
        return
      }
      guard case .processed(let written) = result else {
        state = .writing(offset: offset)
        try? loop.setWritable(fd: fd, true)
        return
      }
      offset += written
    }
    output = []
    try? loop.setWritable(fd: fd, false)
    Syscall.shutdownWrite(fd)
    state = .lingering
    arm(limits.lingerTimeoutNanoseconds)
  }

  /// Reads and drops what the client still sends; closes at its end of stream once nothing
  /// more is to be written to it.
  private func discardInput() {
    do {
      guard case .processed(let count) = try Syscall.read(fd, loop.readBuffer) else { return }
      guard count == 0 else { return }
      switch state {
      case .lingering, .awaitingAction: close()
      case .reading, .writing, .closed: return
      }
    } catch {
      close()
    }
  }

  // MARK: - Timeouts

  private func arm(_ nanoseconds: UInt64) {
    if let timer { loop.cancelTimer(timer) }
    timer = loop.scheduleTimer(afterNanoseconds: nanoseconds) { [unowned self] in
      timer = nil
      timedOut()
    }
  }

  private func timedOut() {
    switch state {
    case .reading:
      logger.debug("admin request from \(peerAddress) timed out")
      // Tell the client why, but give the answer only the linger time to leave.
      timer = nil
      respond(HTTP1ServerResponse(status: 408, body: "request timeout\n"), includeBody: true)
      if case .writing = state { arm(limits.lingerTimeoutNanoseconds) }
    case .writing, .lingering:
      close()
    case .awaitingAction, .closed:
      return
    }
  }
}

@available(*, unavailable)
extension HTTP1ServerConnection: Sendable {}
