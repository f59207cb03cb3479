import Testing

@testable import GRPC

@Suite struct GRPCServerStreamStateMachineTests {
  typealias Machine = GRPCServerStreamStateMachine

  static func frame(_ payload: [UInt8]) -> [UInt8] {
    [0, 0, 0, 0, UInt8(payload.count)] + payload
  }

  /// Feeds bytes; returns the action and the messages it completed.
  func receive(_ machine: inout Machine, _ bytes: [UInt8]) -> (Machine.OnReceiveData, [[UInt8]]) {
    var messages: [[UInt8]] = []
    let action = bytes.withUnsafeBytes { machine.receivedData($0, into: &messages) }
    return (action, messages)
  }

  /// A machine whose response headers are out (the handler sent one message).
  func streaming() -> Machine {
    var machine = Machine(maxReceiveMessageSize: 16)
    #expect(machine.send() == .sendHeadersAndMessage)
    return machine
  }

  @Test func data_deliversCompletedMessages() {
    var machine = Machine(maxReceiveMessageSize: 16)
    let (action, messages) = receive(&machine, Self.frame([1, 2]) + Self.frame([3]))
    #expect(action == .deliver)
    #expect(messages == [[1, 2], [3]])
  }

  @Test func firstSend_sendsHeaders_laterSendsDoNot() {
    var machine = Machine(maxReceiveMessageSize: 16)
    #expect(machine.send() == .sendHeadersAndMessage)
    #expect(machine.send() == .sendMessage)
  }

  @Test func finishBeforeAnySend_isTrailersOnly_afterSend_isTrailers() {
    var idle = Machine(maxReceiveMessageSize: 16)
    #expect(idle.finish() == .sendTrailersOnly)
    var open = streaming()
    #expect(open.finish() == .sendTrailers)
  }

  @Test func afterFinish_sendsAndFinishesAndDataAreDropped() {
    var machine = streaming()
    _ = machine.finish()
    #expect(machine.isFinished)
    #expect(machine.send() == .drop)
    #expect(machine.finish() == .drop)
    #expect(receive(&machine, Self.frame([1])).0 == .ignore)
    #expect(machine.receivedEnd() == .ignore)
    #expect(machine.deadlinePassed() == .ignore)
  }

  @Test func oversizedMessage_failsWithResourceExhausted_trailersOnlyWhenNothingSent() {
    var machine = Machine(maxReceiveMessageSize: 4)
    let (action, _) = receive(&machine, Self.frame([1, 2, 3, 4, 5]))
    guard case .fail(let status, let trailersOnly) = action else {
      Issue.record("expected failure, got \(action)")
      return
    }
    #expect(status.code == .resourceExhausted)
    #expect(trailersOnly)
    #expect(machine.send() == .drop)
    #expect(machine.streamClosed(errorCode: 0) == .none)
  }

  @Test func oversizedMessage_afterResponseHeaders_failsWithTrailers() {
    var machine = streaming()
    let (action, _) = receive(&machine, Self.frame(Array(repeating: 0, count: 17)))
    guard case .fail(let status, let trailersOnly) = action else {
      Issue.record("expected failure, got \(action)")
      return
    }
    #expect(status.code == .resourceExhausted)
    #expect(!trailersOnly)
  }

  @Test func end_deliversEnd_once_andLaterDataIsIgnored() {
    var machine = Machine(maxReceiveMessageSize: 16)
    #expect(machine.receivedEnd() == .deliverEnd)
    #expect(machine.receivedEnd() == .ignore)
    #expect(receive(&machine, Self.frame([1])).0 == .ignore)
    #expect(machine.send() == .sendHeadersAndMessage)
  }

  @Test func endInsideAMessage_failsWithInternal() {
    var machine = Machine(maxReceiveMessageSize: 16)
    _ = receive(&machine, Array(Self.frame([1, 2, 3]).prefix(6)))
    guard case .fail(let status, true) = machine.receivedEnd() else {
      Issue.record("expected a Trailers-Only failure")
      return
    }
    #expect(status.code == .internal)
  }

  @Test func deadline_failsOnce_trailersOnlyDependsOnHeaders() {
    var idle = Machine(maxReceiveMessageSize: 16)
    #expect(idle.deadlinePassed() == .fail(trailersOnly: true))
    #expect(idle.deadlinePassed() == .ignore)
    #expect(idle.streamClosed(errorCode: 8) == .none)
    var open = streaming()
    #expect(open.deadlinePassed() == .fail(trailersOnly: false))
  }

  @Test func peerResetBeforeFinish_notifiesPeerReset_once() {
    var machine = streaming()
    #expect(machine.streamClosed(errorCode: 8) == .notify(.peerReset(errorCode: 8)))
    #expect(machine.streamClosed(errorCode: 8) == .none)
    #expect(machine.send() == .drop)
  }

  @Test func peerResetAfterFinish_isANormalEnd() {
    var machine = streaming()
    _ = machine.receivedEnd()
    _ = machine.finish()
    #expect(machine.streamClosed(errorCode: 8) == .none)
  }

  @Test func connectionLoss_notifiesConnectionClosed() {
    var machine = Machine(maxReceiveMessageSize: 16)
    #expect(machine.streamClosed(errorCode: nil) == .notify(.connectionClosed))
  }
}
