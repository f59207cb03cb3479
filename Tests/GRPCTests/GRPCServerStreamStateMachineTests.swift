import Testing

@testable import GRPC

@Suite struct GRPCServerStreamStateMachineTests {
  typealias Machine = GRPCServerStreamStateMachine

  static func frame(_ payload: [UInt8]) -> [UInt8] {
    [0, 0, 0, 0, UInt8(payload.count)] + payload
  }

  /// Feeds bytes; returns the action and the messages it completed.
  static func receive(
    _ machine: inout Machine, _ bytes: [UInt8]
  ) throws(GRPCServerStreamMisuse) -> (Machine.OnReceiveData, [[UInt8]]) {
    var messages: [[UInt8]] = []
    let action = bytes.withUnsafeBytes { bytes in
      Result { () throws(GRPCServerStreamMisuse) in
        try machine.receivedData(bytes, into: &messages)
      }
    }
    return (try action.get(), messages)
  }

  /// Runs `body` and returns its value or its misuse, for comparing with a table's expectation.
  static func outcome<Value>(
    _ body: () throws(GRPCServerStreamMisuse) -> Value
  ) -> Result<Value, GRPCServerStreamMisuse> {
    do {
      return .success(try body())
    } catch {
      return .failure(error)
    }
  }

  /// Every state a call can be in, each reached through the machine's own transitions.
  enum Start: CaseIterable, Sendable {
    case fresh
    case headersSent
    case requestEnded
    case requestEndedAfterHeaders
    case finishedByHandler
    case endedByDeadline
    case endedByPeerReset
    case endedByBadRequest

    var isActive: Bool {
      switch self {
      case .fresh, .headersSent, .requestEnded, .requestEndedAfterHeaders: true
      default: false
      }
    }

    func machine() throws -> Machine {
      var machine = Machine(maxReceiveMessageSize: 16)
      switch self {
      case .fresh:
        break
      case .headersSent:
        #expect(try machine.send() == .sendHeadersAndMessage)
      case .requestEnded:
        #expect(try machine.receivedEnd() == .deliverEnd)
      case .requestEndedAfterHeaders:
        #expect(try machine.send() == .sendHeadersAndMessage)
        #expect(try machine.receivedEnd() == .deliverEnd)
      case .finishedByHandler:
        #expect(try machine.finish() == .sendTrailersOnly)
      case .endedByDeadline:
        #expect(machine.deadlinePassed() == .fail(trailersOnly: true))
      case .endedByPeerReset:
        #expect(machine.streamClosed(errorCode: 8) == .notify(.peerReset(errorCode: 8)))
      case .endedByBadRequest:
        let (action, _) = try GRPCServerStreamStateMachineTests.receive(
          &machine, GRPCServerStreamStateMachineTests.frame(Array(repeating: 0, count: 17)))
        if case .fail(let status, trailersOnly: true) = action {
          #expect(status.code == .resourceExhausted)
        } else {
          Issue.record("expected a Trailers-Only failure, got \(action)")
        }
      }
      #expect(machine.isFinished == !isActive)
      return machine
    }
  }

  // MARK: - Each event in each state

  @Test(arguments: [
    (Start.fresh, Result<Machine.OnSend, GRPCServerStreamMisuse>.success(.sendHeadersAndMessage)),
    (.headersSent, .success(.sendMessage)),
    (.requestEnded, .success(.sendHeadersAndMessage)),
    (.requestEndedAfterHeaders, .success(.sendMessage)),
    (.finishedByHandler, .failure(.sendAfterFinish)),
    (.endedByDeadline, .success(.drop)),
    (.endedByPeerReset, .success(.drop)),
    (.endedByBadRequest, .success(.drop)),
  ])
  func send(in start: Start, expected: Result<Machine.OnSend, GRPCServerStreamMisuse>) throws {
    var machine = try start.machine()
    #expect(Self.outcome { () throws(GRPCServerStreamMisuse) in try machine.send() } == expected)
  }

  @Test(arguments: [
    (Start.fresh, Result<Machine.OnFinish, GRPCServerStreamMisuse>.success(.sendTrailersOnly)),
    (.headersSent, .success(.sendTrailers)),
    (.requestEnded, .success(.sendTrailersOnly)),
    (.requestEndedAfterHeaders, .success(.sendTrailers)),
    (.finishedByHandler, .failure(.finishAfterFinish)),
    (.endedByDeadline, .success(.drop)),
    (.endedByPeerReset, .success(.drop)),
    (.endedByBadRequest, .success(.drop)),
  ])
  func finish(in start: Start, expected: Result<Machine.OnFinish, GRPCServerStreamMisuse>) throws {
    var machine = try start.machine()
    #expect(Self.outcome { () throws(GRPCServerStreamMisuse) in try machine.finish() } == expected)
    if start.isActive {
      // Finished by its handler: a second finish is misuse, a closed stream a normal end.
      #expect(
        Self.outcome { () throws(GRPCServerStreamMisuse) in try machine.finish() }
          == .failure(.finishAfterFinish))
      #expect(machine.streamClosed(errorCode: 8) == .none)
      #expect(machine.isFinished)
    }
  }

  @Test(arguments: [
    (Start.fresh, Result<Machine.OnReceiveData, GRPCServerStreamMisuse>.success(.deliver)),
    (.headersSent, .success(.deliver)),
    (.requestEnded, .failure(.dataAfterRequestEnd)),
    (.requestEndedAfterHeaders, .failure(.dataAfterRequestEnd)),
    (.finishedByHandler, .success(.ignore)),
    (.endedByDeadline, .success(.ignore)),
    (.endedByPeerReset, .success(.ignore)),
    (.endedByBadRequest, .success(.ignore)),
  ])
  func data(
    in start: Start, expected: Result<Machine.OnReceiveData, GRPCServerStreamMisuse>
  ) throws {
    var machine = try start.machine()
    let result = Self.outcome { () throws(GRPCServerStreamMisuse) in
      try Self.receive(&machine, Self.frame([1, 2]))
    }
    #expect(result.map(\.0) == expected)
    if case .success(.deliver) = expected {
      #expect(try result.get().1 == [[1, 2]])
    }
  }

  @Test(arguments: [
    (Start.fresh, Result<Machine.OnReceiveEnd, GRPCServerStreamMisuse>.success(.deliverEnd)),
    (.headersSent, .success(.deliverEnd)),
    (.requestEnded, .failure(.requestEndedTwice)),
    (.requestEndedAfterHeaders, .failure(.requestEndedTwice)),
    (.finishedByHandler, .success(.ignore)),
    (.endedByDeadline, .success(.ignore)),
    (.endedByPeerReset, .success(.ignore)),
    (.endedByBadRequest, .success(.ignore)),
  ])
  func end(in start: Start, expected: Result<Machine.OnReceiveEnd, GRPCServerStreamMisuse>) throws {
    var machine = try start.machine()
    #expect(
      Self.outcome { () throws(GRPCServerStreamMisuse) in try machine.receivedEnd() } == expected)
  }

  @Test(arguments: [
    (Start.fresh, Machine.OnDeadline.fail(trailersOnly: true)),
    (.headersSent, .fail(trailersOnly: false)),
    (.requestEnded, .fail(trailersOnly: true)),
    (.requestEndedAfterHeaders, .fail(trailersOnly: false)),
    (.finishedByHandler, .ignore),
    (.endedByDeadline, .ignore),
    (.endedByPeerReset, .ignore),
    (.endedByBadRequest, .ignore),
  ])
  func deadline(in start: Start, expected: Machine.OnDeadline) throws {
    var machine = try start.machine()
    #expect(machine.deadlinePassed() == expected)
    // Whatever the state was, the call is over and later sends are dropped or misuse.
    #expect(machine.isFinished)
    #expect(machine.deadlinePassed() == .ignore)
  }

  @Test(arguments: Start.allCases)
  func streamClosed(in start: Start) throws {
    var reset = try start.machine()
    var lost = try start.machine()
    let resetAction = reset.streamClosed(errorCode: 8)
    let lostAction = lost.streamClosed(errorCode: nil)
    if start.isActive {
      #expect(resetAction == .notify(.peerReset(errorCode: 8)))
      #expect(lostAction == .notify(.connectionClosed))
    } else {
      #expect(resetAction == .none)
      #expect(lostAction == .none)
    }
    // Told once: a second close is a normal end.
    #expect(reset.streamClosed(errorCode: 8) == .none)
    #expect(reset.isFinished)
  }

  // MARK: - Particular paths

  @Test func data_deliversCompletedMessages() throws {
    var machine = Machine(maxReceiveMessageSize: 16)
    let (action, messages) = try Self.receive(&machine, Self.frame([1, 2]) + Self.frame([3]))
    #expect(action == .deliver)
    #expect(messages == [[1, 2], [3]])
  }

  @Test func firstSend_sendsHeaders_laterSendsDoNot() throws {
    var machine = Machine(maxReceiveMessageSize: 16)
    #expect(try machine.send() == .sendHeadersAndMessage)
    #expect(try machine.send() == .sendMessage)
  }

  @Test func afterTheHandlerFinishes_sendsAndFinishesAreMisuse_andTheRequestIsIgnored() throws {
    var machine = try Start.headersSent.machine()
    #expect(try machine.finish() == .sendTrailers)
    #expect(machine.isFinished)
    #expect(throws: GRPCServerStreamMisuse.sendAfterFinish) { try machine.send() }
    #expect(throws: GRPCServerStreamMisuse.finishAfterFinish) { try machine.finish() }
    #expect(try Self.receive(&machine, Self.frame([1])).0 == .ignore)
    #expect(try machine.receivedEnd() == .ignore)
    #expect(machine.deadlinePassed() == .ignore)
  }

  @Test func oversizedMessage_failsWithResourceExhausted_trailersOnlyWhenNothingSent() throws {
    var machine = Machine(maxReceiveMessageSize: 4)
    let (action, _) = try Self.receive(&machine, Self.frame([1, 2, 3, 4, 5]))
    guard case .fail(let status, let trailersOnly) = action else {
      Issue.record("expected failure, got \(action)")
      return
    }
    #expect(status.code == .resourceExhausted)
    #expect(trailersOnly)
    #expect(try machine.send() == .drop)
    #expect(machine.streamClosed(errorCode: 0) == .none)
  }

  @Test func oversizedMessage_afterResponseHeaders_failsWithTrailers() throws {
    var machine = try Start.headersSent.machine()
    let (action, _) = try Self.receive(&machine, Self.frame(Array(repeating: 0, count: 17)))
    guard case .fail(let status, let trailersOnly) = action else {
      Issue.record("expected failure, got \(action)")
      return
    }
    #expect(status.code == .resourceExhausted)
    #expect(!trailersOnly)
  }

  @Test func end_deliversEnd_once_andMoreRequestIsMisuse_whileTheResponseGoesOn() throws {
    var machine = Machine(maxReceiveMessageSize: 16)
    #expect(try machine.receivedEnd() == .deliverEnd)
    #expect(throws: GRPCServerStreamMisuse.requestEndedTwice) { try machine.receivedEnd() }
    #expect(throws: GRPCServerStreamMisuse.dataAfterRequestEnd) {
      try Self.receive(&machine, Self.frame([1]))
    }
    #expect(try machine.send() == .sendHeadersAndMessage)
    #expect(try machine.finish() == .sendTrailers)
  }

  @Test func endInsideAMessage_failsWithInternal() throws {
    var machine = Machine(maxReceiveMessageSize: 16)
    _ = try Self.receive(&machine, Array(Self.frame([1, 2, 3]).prefix(6)))
    guard case .fail(let status, true) = try machine.receivedEnd() else {
      Issue.record("expected a Trailers-Only failure")
      return
    }
    #expect(status.code == .internal)
    #expect(machine.isFinished)
  }

  @Test func deadline_failsOnce_trailersOnlyDependsOnHeaders() throws {
    var idle = Machine(maxReceiveMessageSize: 16)
    #expect(idle.deadlinePassed() == .fail(trailersOnly: true))
    #expect(idle.deadlinePassed() == .ignore)
    #expect(idle.streamClosed(errorCode: 8) == .none)
    var open = try Start.headersSent.machine()
    #expect(open.deadlinePassed() == .fail(trailersOnly: false))
  }

  @Test func peerResetBeforeFinish_notifiesPeerReset_once() throws {
    var machine = try Start.headersSent.machine()
    #expect(machine.streamClosed(errorCode: 8) == .notify(.peerReset(errorCode: 8)))
    #expect(machine.streamClosed(errorCode: 8) == .none)
    #expect(try machine.send() == .drop)
  }

  @Test func peerResetAfterFinish_isANormalEnd() throws {
    var machine = try Start.headersSent.machine()
    _ = try machine.receivedEnd()
    _ = try machine.finish()
    #expect(machine.streamClosed(errorCode: 8) == .none)
  }

  @Test func connectionLoss_notifiesConnectionClosed() {
    var machine = Machine(maxReceiveMessageSize: 16)
    #expect(machine.streamClosed(errorCode: nil) == .notify(.connectionClosed))
  }
}
