internal import CNGHTTP2
import Logging

/// One HTTP/2 connection over a non-blocking socket, driven by nghttp2. Loop-thread confined.
///
/// The same type serves both ends: a server connection (h2c with prior knowledge, as Envoy
/// speaks it) announces new streams to its `HTTP2ConnectionDelegate`; a client connection opens
/// streams with `openStream`. Reads go straight into nghttp2, a few per readiness event
/// (`SocketReader`); its output is gathered into one buffer and written at the end of the loop
/// iteration, with EPOLLOUT only while the socket is full (the backpressure path).
///
/// A connection may run over TLS (`tls`, its handshake already done): then reads are decrypted
/// before nghttp2 sees them and its output is encrypted into `output`.
public final class HTTP2Connection: Selectable, EndOfTickWork {
  /// Which end of the connection we are.
  public enum Role: Sendable {
    case server
    case client
  }

  public let role: Role
  public let loop: EventLoop
  /// The peer's address, for logs.
  public let peerAddress: String
  /// Receives new streams (server) and the connection's end.
  public var delegate: (any HTTP2ConnectionDelegate)?
  /// Called once when the connection has closed, after the delegate (used by its owner).
  var onClose: ((HTTP2Connection) -> Void)?

  let fd: Int32
  let logger: Logger
  let settings: HTTP2Settings
  private var session: OpaquePointer?
  /// The TLS session of a connection over TLS (handshake already complete); nil for cleartext.
  private let tls: TLSSession?
  /// Plaintext frames gathered for one TLS write (kept to reuse its capacity).
  private var tlsStaging: [UInt8] = []
  private var streams: [Int32: HTTP2Stream] = [:]
  private var output: [UInt8] = []
  private var outputOffset = 0
  private var wantsWritable = false
  private var flushScheduled = false
  /// Inside nghttp2 (mem_recv / mem_send): sends only mark work, close is deferred.
  private var busy = false
  private var closeRequested = false
  private var goawaySent = false
  /// A refused header block was logged: later ones on this connection are only counted.
  private var headerLimitLogged = false
  /// This connection's close for a protocol error is already in the counters.
  private var protocolCloseRecorded = false
  /// The server's timeouts and where they are counted (nil on a client connection).
  private let limits: HTTP2ServerLimits?
  /// When each timeout comes due (nil when no timeout applies).
  private var deadlines: HTTP2ConnectionDeadlines?
  private var deadlineTimer: TimerID?
  /// Request DATA the streams' delegates hold unconsumed (server): the part of the connection
  /// window not granted again yet.
  private var heldInput = 0
  /// Response DATA queued in streams and not yet taken by nghttp2.
  private var queuedOutput = 0
  /// Closes the connection if its output is still past the cap when it fires (server).
  private var outputStallTimer: TimerID?
  /// Reading stopped while the output is past its cap: no new requests or messages on open
  /// streams, so no new answers. Output held back by the peer's own flow-control window waits
  /// too (its WINDOW_UPDATE is not read): such a peer is closed after the stall timeout. Envoy's
  /// 256 MiB default windows never hold back a cap's worth.
  private var readPaused = false
  public private(set) var isClosed = false

  /// Frames gathered before a write: room for a whole OTLP export of 512 spans (about 160 KiB),
  /// so it leaves in one write that wakes the receiver once (64 KiB took three).
  private static let outputHighWater = 256 * 1024

  /// Wraps a connected socket; call `start()` on the loop to begin. `tls` is a session whose
  /// handshake has completed; `pendingCiphertext` is what it still has to send.
  /// `limits` (server only) are the timeouts to enforce.
  init(
    fd: Int32, role: Role, loop: EventLoop, settings: HTTP2Settings, peerAddress: String,
    logger: Logger, tls: TLSSession? = nil, pendingCiphertext: [UInt8] = [],
    limits: HTTP2ServerLimits? = nil
  ) {
    precondition(limits == nil || role == .server, "timeouts are for server connections")
    self.limits = limits
    self.fd = fd
    self.role = role
    self.tls = tls
    self.output = pendingCiphertext
    self.loop = loop
    self.settings = settings
    self.peerAddress = peerAddress
    var logger = logger
    logger[metadataKey: "peer"] = "\(peerAddress)"
    self.logger = logger
  }

  /// The nghttp2 session while open (for read-only checks in extensions).
  var sessionForChecks: OpaquePointer? { session }

  // MARK: - Lifecycle

  /// Creates the nghttp2 session, registers the socket and sends our SETTINGS.
  func start() throws(SystemError) {
    loop.assertInEventLoop()
    let context = Unmanaged.passRetained(self).toOpaque()
    var options: OpaquePointer?
    nghttp2_option_new(&options)
    defer { nghttp2_option_del(options) }
    nghttp2_option_set_stream_reset_rate_limit(
      options, settings.streamResetBurst, settings.streamResetRatePerSecond)
    // Closed streams are kept only for RFC 7540 priorities, which we do not use.
    nghttp2_option_set_no_closed_streams(options, 1)
    // A server grants the connection window again only as delegates consume (input cap).
    if limits != nil { nghttp2_option_set_no_auto_window_update(options, 1) }
    var session: OpaquePointer?
    let callbacks = HTTP2Callbacks.shared
    let result =
      switch role {
      case .server: nghttp2_session_server_new2(&session, callbacks.pointer, context, options)
      case .client: nghttp2_session_client_new2(&session, callbacks.pointer, context, options)
      }
    precondition(result == 0, "nghttp2 session creation failed: \(result)")
    self.session = session
    var entries = [
      nghttp2_settings_entry(
        settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue),
        value: settings.maxConcurrentStreams),
      nghttp2_settings_entry(
        settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue),
        value: settings.initialStreamWindowSize),
      nghttp2_settings_entry(
        settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue),
        value: settings.maxHeaderListBytes),
    ]
    nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count)
    let connectionWindow = limits?.maxConnectionInputBytes ?? Int(settings.connectionWindowSize)
    nghttp2_session_set_local_window_size(
      session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Int32(clamping: connectionWindow))
    do {
      try loop.register(fd: fd, handler: self)
    } catch {
      Unmanaged<HTTP2Connection>.fromOpaque(context).release()
      nghttp2_session_del(session)
      self.session = nil
      isClosed = true
      Syscall.close(fd)
      throw error
    }
    if let tls {
      // The server's SETTINGS may have arrived with the handshake's last flight.
      guard receivePlaintext(from: tls) else { return }
    }
    if let limits {
      let now = Syscall.monotonicNanoseconds()
      let deadlines = HTTP2ConnectionDeadlines(
        limits: limits, now: now, ageJitter: Double.random(in: 0.9...1.1))
      if !deadlines.isEmpty {
        self.deadlines = deadlines
        scheduleLook(now: now)
      }
    }
    flush()
  }

  /// Sends GOAWAY (no new streams) and closes once open streams finish. Loop thread only.
  public func beginGracefulShutdown() {
    loop.assertInEventLoop()
    guard let session, !isClosed, !goawaySent else { return }
    goawaySent = true
    nghttp2_submit_goaway(
      session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nghttp2_session_get_last_proc_stream_id(session),
      NGHTTP2_NO_ERROR.rawValue, nil, 0)
    scheduleFlush()
  }

  /// Closes the connection now; open streams are told the connection closed.
  public func close() {
    loop.assertInEventLoop()
    if busy {
      closeRequested = true
    } else {
      closeNow()
    }
  }

  public func loopStopped() {
    closeNow()
  }

  private func closeNow() {
    guard !isClosed else { return }
    isClosed = true
    if let deadlineTimer { loop.cancelTimer(deadlineTimer) }
    deadlineTimer = nil
    if let outputStallTimer { loop.cancelTimer(outputStallTimer) }
    outputStallTimer = nil
    loop.unregister(fd: fd)
    if let tls { sendCloseNotify(tls) }
    Syscall.close(fd)
    let open = streams
    streams = [:]
    for stream in open.values {
      if role == .client && !stream.headersWereSent {
        // The request never left: like REFUSED_STREAM, safe to send again elsewhere.
        stream.closed(reason: .closed(errorCode: NGHTTP2_REFUSED_STREAM.rawValue))
      } else {
        stream.closed(reason: .connectionClosed)
      }
    }
    nghttp2_session_del(session)
    session = nil
    limits?.memoryBudget.add(-heldInput)
    heldInput = 0
    output = []
    delegate?.connectionClosed(self)
    delegate = nil
    onClose?(self)
    onClose = nil
    Unmanaged.passUnretained(self).release()
  }

  // MARK: - Client streams

  /// Opens a client stream with a request header block; DATA may follow unless `endStream`.
  public func openStream(
    headers: [HTTP2Header], endStream: Bool, delegate: any HTTP2StreamDelegate
  ) -> HTTP2Stream? {
    loop.assertInEventLoop()
    precondition(role == .client, "openStream on a server connection")
    guard let session, !isClosed, !goawaySent else { return nil }
    let streamID = HTTP2HeaderBlock(headers).withNameValues { nva in
      if endStream {
        return nghttp2_submit_request(session, nil, nva.baseAddress, nva.count, nil, nil)
      }
      var provider = HTTP2Callbacks.dataProvider
      return nghttp2_submit_request(session, nil, nva.baseAddress, nva.count, &provider, nil)
    }
    guard streamID > 0 else {
      logger.debug("submit_request failed: \(HTTP2Callbacks.describe(Int(streamID)))")
      return nil
    }
    let stream = HTTP2Stream(id: streamID, connection: self)
    stream.delegate = delegate
    stream.markRequestSubmitted(endStream: endStream)
    streams[streamID] = stream
    scheduleFlush()
    return stream
  }

  // MARK: - Called by streams

  func submitHeaders(_ headers: [HTTP2Header], stream: HTTP2Stream, withDataProvider: Bool) {
    guard let session else { return }
    HTTP2HeaderBlock(headers).withNameValues { nva in
      var provider = HTTP2Callbacks.dataProvider
      let result =
        withDataProvider
        ? nghttp2_submit_response(session, stream.id, nva.baseAddress, nva.count, &provider)
        : nghttp2_submit_response(session, stream.id, nva.baseAddress, nva.count, nil)
      if result != 0 {
        logger.debug("submit_response failed: \(HTTP2Callbacks.describe(Int(result)))")
      }
    }
    scheduleFlush()
  }

  func submitTrailers(_ headers: [HTTP2Header], stream: HTTP2Stream) {
    guard let session else { return }
    HTTP2HeaderBlock(headers).withNameValues { nva in
      let result = nghttp2_submit_trailer(session, stream.id, nva.baseAddress, nva.count)
      if result != 0 {
        logger.debug("submit_trailer failed: \(HTTP2Callbacks.describe(Int(result)))")
      }
    }
  }

  func submitReset(stream: HTTP2Stream, errorCode: UInt32, onlyIfRemoteOpen: Bool = false) {
    guard let session else { return }
    if onlyIfRemoteOpen, nghttp2_session_get_stream_remote_close(session, stream.id) != 0 {
      return
    }
    nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), stream.id, errorCode)
    scheduleFlush()
  }

  func resumeData(stream: HTTP2Stream) {
    guard let session else { return }
    nghttp2_session_resume_data(session, stream.id)
    scheduleFlush()
  }

  /// Writes pending output at the end of this loop iteration.
  func scheduleFlush() {
    guard !flushScheduled, !busy, !isClosed else { return }
    flushScheduled = true
    loop.runAtEndOfTick(self)
  }

  public func runAtEndOfTick() {
    flushScheduled = false
    flush()
  }

  // MARK: - Called from nghttp2 callbacks

  /// The open stream `id`, looked up in `streams` rather than through a pointer kept in
  /// nghttp2: a stream closed while nghttp2 still holds it (a response HEADERS frame that could
  /// not be sent) is freed, and a later frame callback for its id must find nothing.
  func stream(_ id: Int32) -> HTTP2Stream? {
    streams[id]
  }

  /// A peer opened a stream (server): start collecting its header block.
  func beginRequest(streamID: Int32) {
    guard session != nil else { return }
    let stream = HTTP2Stream(id: streamID, connection: self)
    if deadlines != nil {
      if streams.isEmpty { deadlines?.firstStreamOpened() }
      if deadlines?.streamIdle != nil { stream.lastActivity = Syscall.monotonicNanoseconds() }
    }
    streams[streamID] = stream
  }

  /// The peer's SETTINGS arrived (the first one completes its preface).
  func receivedSettings() {
    deadlines?.prefaceArrived()
  }

  /// A frame for `stream` was sent or received: it is making progress.
  func noteProgress(_ stream: HTTP2Stream) {
    guard deadlines?.streamIdle != nil, stream.lastActivity != .max else { return }
    stream.lastActivity = Syscall.monotonicNanoseconds()
  }

  /// A complete request header block arrived (server). Refused with REFUSED_STREAM (safe to
  /// retry elsewhere) while a memory cap is reached.
  func requestHeadersComplete(_ stream: HTTP2Stream, endStream: Bool) {
    let headers = stream.receivingHeaders.take()
    if let limits, let reason = refusal(limits) {
      limits.counters.recordRefused(reason)
      LogRateLimiter.shared.log(
        .warning, kind: "http2.stream_refused", to: logger,
        """
        stream refused: \(reason.rawValue) (held input \(heldInput), queued output \
        \(queuedOutput), process \(limits.memoryBudget.heldBytes) bytes)
        """)
      stream.reset(errorCode: NGHTTP2_REFUSED_STREAM.rawValue)
      return
    }
    guard let delegate else {
      stream.reset(errorCode: NGHTTP2_REFUSED_STREAM.rawValue)
      return
    }
    delegate.connection(self, openedStream: stream, headers: headers, endStream: endStream)
  }

  /// A header block passed a header list limit: counts it, logs it (once per connection),
  /// drops what was kept and resets the stream with ENHANCE_YOUR_CALM, which gRPC clients read
  /// as RESOURCE_EXHAUSTED (a limit, not worth retrying as REFUSED_STREAM would suggest).
  func headerListExceeded(_ limit: HTTP2ReceivedHeaderList.Exceeded, stream: HTTP2Stream) {
    settings.headerLimitCounters.record(limit)
    if !headerLimitLogged {
      headerLimitLogged = true
      let detail =
        switch limit {
        case .size: "larger than \(settings.maxHeaderListBytes) bytes"
        case .count: "more than \(settings.maxHeaderCount) fields"
        }
      logger.warning(
        "header list \(detail), stream reset (later ones on this connection are only counted)",
        metadata: ["stream": "\(stream.id)"])
    }
    stream.receivingHeaders.discard()
    submitReset(stream: stream, errorCode: NGHTTP2_ENHANCE_YOUR_CALM.rawValue)
  }

  /// A HEADERS frame could not be sent (e.g. after GOAWAY, or a block over nghttp2's 64 KiB
  /// limit). A client's request never reached the server, which nghttp2 closes itself; a
  /// server's response or trailers leave nghttp2's stream open with the peer waiting for an
  /// answer, so it is reset.
  func headersNotSent(streamID: Int32) {
    streamClosed(streamID: streamID, errorCode: NGHTTP2_REFUSED_STREAM.rawValue)
    guard role == .server, let session else { return }
    nghttp2_submit_rst_stream(
      session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, NGHTTP2_INTERNAL_ERROR.rawValue)
    scheduleFlush()
  }

  func streamClosed(streamID: Int32, errorCode: UInt32) {
    guard let stream = streams.removeValue(forKey: streamID) else { return }
    releaseHeldInput(of: stream)
    if streams.isEmpty && deadlines != nil {
      deadlines?.lastStreamClosed(now: Syscall.monotonicNanoseconds())
    }
    stream.closed(reason: .closed(errorCode: errorCode))
  }

  // MARK: - Memory caps (server)

  /// Hands a DATA chunk to its stream's delegate; on a server, grants the stream's window
  /// again at once (the message limit bounds a stream) and the connection's for every byte
  /// the delegate does not hold.
  func receivedData(_ data: UnsafeRawBufferPointer, streamID: Int32) {
    let stream = self.stream(streamID)
    if let stream { stream.delegate?.stream(stream, receivedData: data) }
    guard let limits, let session else { return }
    nghttp2_session_consume_stream(session, streamID, data.count)
    var release = data.count
    if let stream, !stream.isClosed {
      let delta = stream.heldInputBytes - stream.countedInputBytes
      stream.countedInputBytes = stream.heldInputBytes
      heldInput += delta
      limits.memoryBudget.add(delta)
      release -= delta
    }
    if release > 0 { nghttp2_session_consume_connection(session, release) }
  }

  /// A closed stream's held input is dropped: its window is granted again.
  private func releaseHeldInput(of stream: HTTP2Stream) {
    let held = stream.countedInputBytes
    guard held > 0 else { return }
    stream.countedInputBytes = 0
    heldInput -= held
    limits?.memoryBudget.add(-held)
    if let session { nghttp2_session_consume_connection(session, held) }
  }

  /// Response DATA was queued (positive) or taken or dropped (negative). Past the output cap
  /// a timer starts that closes the connection if it is still past the cap when it fires.
  func outputQueued(_ delta: Int) {
    guard let limits else { return }
    queuedOutput += delta
    limits.memoryBudget.add(delta)
    let full = queuedOutput >= limits.maxConnectionOutputBytes
    updateReadPause()
    guard full, outputStallTimer == nil,
      !isClosed, let stall = limits.outputStallTimeout
    else { return }
    let timeout = HTTP2ConnectionDeadlines.nanoseconds(stall)
    outputStallTimer = loop.scheduleTimer(afterNanoseconds: timeout) { [self] in
      outputStallTimer = nil
      guard !isClosed, queuedOutput >= limits.maxConnectionOutputBytes else { return }
      limits.counters.recordClose(.outputStalled)
      LogRateLimiter.shared.log(
        .warning, kind: "http2.output_stalled", to: logger,
        "peer not reading: \(queuedOutput) bytes queued past the output cap, closing")
      close()
    }
  }

  /// Why a new stream must be refused now, if it must.
  private func refusal(_ limits: HTTP2ServerLimits) -> HTTP2ServerCounters.RefuseReason? {
    // Less than one full DATA frame of window left: a new stream could barely send.
    if heldInput > limits.maxConnectionInputBytes - 16_384 { return .inputFull }
    if queuedOutput >= limits.maxConnectionOutputBytes { return .outputFull }
    if limits.memoryBudget.isExhausted { return .memoryBudget }
    return nil
  }

  // MARK: - Timeouts (server)

  private func scheduleLook(now: UInt64) {
    guard let deadlines else { return }
    let oldest =
      deadlines.streamIdle == nil
      ? nil : streams.values.lazy.map(\.lastActivity).filter { $0 != .max }.min()
    guard
      let next = deadlines.nextLook(
        now: now, goawaySent: goawaySent, oldestStreamActivity: oldest)
    else { return }
    deadlineTimer = loop.scheduleTimer(atNanoseconds: next) { [self] in
      deadlineTimer = nil
      enforceDeadlines()
    }
  }

  /// Closes the connection, sends GOAWAY or resets idle streams for every timeout that has
  /// passed, counts each, and looks again later.
  private func enforceDeadlines() {
    guard let deadlines, let limits, !isClosed else { return }
    let now = Syscall.monotonicNanoseconds()
    switch deadlines.due(now: now, goawaySent: goawaySent) {
    case .prefaceTimeout:
      limits.counters.recordClose(.prefaceTimeout)
      logger.debug("no HTTP/2 preface in time, closing")
      closeNow()
      return
    case .maxAge:
      limits.counters.recordClose(.maxAge)
      logger.debug("maximum connection age reached, GOAWAY")
      beginGracefulShutdown()
    case .idleTimeout:
      limits.counters.recordClose(.idleTimeout)
      logger.debug("connection idle, GOAWAY")
      beginGracefulShutdown()
    case nil:
      break
    }
    if let streamIdle = deadlines.streamIdle {
      for stream in streams.values
      where now >= stream.lastActivity && now - stream.lastActivity >= streamIdle {
        limits.counters.recordIdleStreamReset()
        logger.debug("stream idle, reset", metadata: ["stream": "\(stream.id)"])
        // Reset once: .max is never due and is not progress (its RST_STREAM closes it).
        stream.lastActivity = .max
        submitReset(stream: stream, errorCode: NGHTTP2_CANCEL.rawValue)
      }
    }
    scheduleLook(now: now)
  }

  // MARK: - I/O

  /// While reading is paused this runs only for a hang-up or error (always reported), which a
  /// read turns into the connection's close.
  public func readable() {
    guard session != nil, !isClosed else { return }
    let outcome = SocketReader.read(fd, into: loop.readBuffer) { bytes in
      receive(bytes) && !closeRequested && !readPaused
    }
    switch outcome {
    case .drained, .capped, .stopped:
      flush()
    case .endOfStream:
      closeNow()
    case .failed(let error):
      logger.debug("connection read failed: \(error)")
      closeNow()
    }
  }

  /// Hands bytes read from the socket to nghttp2, decrypting them first over TLS. False when
  /// the connection was closed (a TLS or protocol error, or the peer's close_notify).
  private func receive(_ bytes: UnsafeRawBufferPointer) -> Bool {
    if let tls {
      tls.feedCiphertext(bytes)
      return receivePlaintext(from: tls)
    }
    guard let session else { return false }
    busy = true
    let processed = nghttp2_session_mem_recv(
      session, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count)
    busy = false
    if processed < 0 {
      closeForProtocolError(Int(processed))
      return false
    }
    return true
  }

  /// Counts and logs a GOAWAY with an error code going out: a connection error the peer
  /// caused (a window past 2^31-1, streams past the acknowledged limit, a flood, a frame nghttp2
  /// rejects), whether nghttp2 answered it on its own or `closeForProtocolError` did.
  func goawaySent(errorCode: UInt32) {
    guard errorCode != NGHTTP2_NO_ERROR.rawValue else { return }
    recordProtocolClose(.protocolError)
    LogRateLimiter.shared.log(
      .warning, kind: "http2.goaway_sent", to: logger,
      "HTTP/2 connection error, GOAWAY sent: \(String(cString: nghttp2_http2_strerror(errorCode)))")
  }

  /// Logs the peer's protocol error, sends what nghttp2 queued (its GOAWAY) and closes. The
  /// close is counted once: as the GOAWAY when one went out, otherwise here (a flood ends the
  /// session with no GOAWAY at all).
  private func closeForProtocolError(_ code: Int) {
    LogRateLimiter.shared.log(
      .warning, kind: "http2.peer_protocol_error", to: logger,
      "HTTP/2 protocol error from peer, closing: \(HTTP2Callbacks.describe(code))")
    flush()
    recordProtocolClose(code == Int(NGHTTP2_ERR_FLOODED.rawValue) ? .flood : .protocolError)
    closeNow()
  }

  /// Counts this connection's protocol-error close, at most once per connection.
  private func recordProtocolClose(_ reason: HTTP2ServerCounters.CloseReason) {
    guard !protocolCloseRecorded else { return }
    protocolCloseRecorded = true
    limits?.counters.recordClose(reason)
  }

  public func writable() {
    flush()
  }

  /// Writes buffered output, then asks nghttp2 for more until it has none or the socket is full.
  private func flush() {
    guard let session, !isClosed else { return }
    if closeRequested {
      closeNow()
      return
    }
    while true {
      if outputOffset < output.count {
        let result: IOResult<Int>
        do {
          result = try output.withUnsafeBytes { bytes throws(SystemError) in
            try Syscall.write(fd, UnsafeRawBufferPointer(rebasing: bytes[outputOffset...]))
          }
        } catch {
          logger.debug("connection write failed: \(error)")
          closeNow()
          return
        }
        if case .processed(let written) = result { outputOffset += written }
        if outputOffset < output.count {
          setWantsWritable(true)
          return
        }
        output.removeAll(keepingCapacity: output.capacity <= 1 << 20)
        outputOffset = 0
      }
      busy = true
      let gathered =
        tls == nil ? gatherFrames(session, into: &output) : gatherFramesOverTLS(session)
      busy = false
      guard gathered else {
        closeNow()
        return
      }
      if closeRequested && output.isEmpty {
        closeNow()
        return
      }
      if output.isEmpty { break }
    }
    setWantsWritable(false)
    if nghttp2_session_want_read(session) == 0 && nghttp2_session_want_write(session) == 0 {
      closeNow()
    }
  }

  /// Appends nghttp2's pending frames to `frames`, up to the high-water mark. False on failure.
  private func gatherFrames(_ session: OpaquePointer, into frames: inout [UInt8]) -> Bool {
    while frames.count < Self.outputHighWater {
      var chunk: UnsafePointer<UInt8>?
      let length = nghttp2_session_mem_send(session, &chunk)
      if length < 0 {
        logger.warning("HTTP/2 send failed, closing: \(HTTP2Callbacks.describe(length))")
        return false
      }
      if length == 0 { break }
      frames.append(contentsOf: UnsafeBufferPointer(start: chunk, count: length))
    }
    return true
  }

  // MARK: - TLS

  /// Like `gatherFrames`, encrypting the frames into `output` in one TLS write; also takes
  /// records the session produced on its own (e.g. after reading a key update).
  private func gatherFramesOverTLS(_ session: OpaquePointer) -> Bool {
    guard let tls else { return false }
    tlsStaging.removeAll(keepingCapacity: tlsStaging.capacity <= 1 << 20)
    guard gatherFrames(session, into: &tlsStaging) else { return false }
    do {
      try tls.write(tlsStaging)
    } catch {
      logger.warning("TLS write failed, closing: \(error)")
      return false
    }
    tls.takeCiphertextToSend(appendingTo: &output)
    return true
  }

  /// Hands every decrypted byte to nghttp2. False when the connection was closed (TLS or
  /// protocol error, or the peer's close_notify).
  private func receivePlaintext(from tls: TLSSession) -> Bool {
    guard let session else { return false }
    var protocolError: Int?
    busy = true
    do {
      try tls.readPlaintext { bytes in
        guard protocolError == nil, let base = bytes.baseAddress else { return }
        let processed = nghttp2_session_mem_recv(
          session, base.assumingMemoryBound(to: UInt8.self), bytes.count)
        if processed < 0 { protocolError = Int(processed) }
      }
    } catch {
      busy = false
      LogRateLimiter.shared.log(
        .warning, kind: "http2.tls_read_failed", to: logger, "TLS read failed, closing: \(error)")
      closeNow()
      return false
    }
    busy = false
    if let protocolError {
      closeForProtocolError(protocolError)
      return false
    }
    if tls.receivedCloseNotify {
      flush()
      closeNow()
      return false
    }
    return true
  }

  /// Best effort: queues close_notify and writes what is still unsent, without waiting.
  private func sendCloseNotify(_ tls: TLSSession) {
    tls.close()
    var unsent = outputOffset < output.count ? Array(output[outputOffset...]) : []
    tls.takeCiphertextToSend(appendingTo: &unsent)
    guard !unsent.isEmpty else { return }
    _ = unsent.withUnsafeBytes { bytes in try? Syscall.write(fd, bytes) }
  }

  private func setWantsWritable(_ wants: Bool) {
    guard wants != wantsWritable else { return }
    wantsWritable = wants
    updateInterest()
  }

  /// Pauses or resumes reading as the output cap requires.
  private func updateReadPause() {
    guard let limits, !isClosed else { return }
    let pause = queuedOutput >= limits.maxConnectionOutputBytes
    guard pause != readPaused else { return }
    if pause { limits.counters.recordReadPause() }
    readPaused = pause
    updateInterest()
  }

  private func updateInterest() {
    do {
      try loop.setInterest(fd: fd, readable: !readPaused, writable: wantsWritable)
    } catch {
      logger.debug("epoll update failed: \(error)")
      close()
    }
  }
}

@available(*, unavailable)
extension HTTP2Connection: Sendable {}
