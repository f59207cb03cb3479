import Glibc
import Logging
import Testing
import Transport

@testable import Redis

/// `RedisClient` against a real redis-server, its loop driven by the test thread.
@Suite(.serialized) struct RedisClientTests {
  private func client(
    _ server: RedisServerProcess, on loop: EventLoop, password: String? = nil,
    timeoutMilliseconds: UInt64 = 2000
  ) throws -> RedisClient {
    var settings = RedisClientSettings(
      address: try SocketAddress.resolve(host: "127.0.0.1", port: server.port),
      password: password, timeoutNanoseconds: timeoutMilliseconds * 1_000_000)
    settings.initialBackoffNanoseconds = 1_000_000
    return RedisClient(settings: settings, loop: loop, logger: Logger(label: "test.redis"))
  }

  /// Sends one batch and drives the loop until it is answered.
  private func send(
    _ client: RedisClient, on loop: EventLoop, _ commands: [[String]]
  ) -> Result<[RESPValue], RedisError> {
    var result: Result<[RESPValue], RedisError>?
    var sent = false
    // The client must be used on its loop's thread: send from inside the loop's first turn.
    loop.run(until: {
      if !sent {
        sent = true
        client.send(commands.map { $0.map { Array($0.utf8) } }) { result = $0 }
      }
      return result != nil
    })
    return result!
  }

  @Test func pipelinedCommands_getTheirRepliesInOrder() throws {
    let server = try RedisServerProcess()
    let loop = try EventLoop()
    defer { loop.discardPendingWork() }  // the client's connection, registered, holds the loop
    let client = try client(server, on: loop)
    let replies = try send(
      client, on: loop, [["SET", "k", "v"], ["GET", "k"], ["INCR", "n"], ["GET", "missing"]]
    ).get()
    #expect(
      replies == [
        .simpleString("OK"), .bulkString(Array("v".utf8)), .integer(1), .bulkString(nil),
      ])
    // An error reply is a value; the connection stays usable.
    let mixed = try send(client, on: loop, [["INCR", "k"], ["PING"]]).get()
    #expect(mixed.count == 2)
    if case .error = mixed[0] {} else { Issue.record("INCR on a string should be an error") }
    #expect(mixed[1] == .simpleString("PONG"))
  }

  @Test func password_isSentWithAUTH_andAWrongOneMakesTheServerUnavailable() throws {
    let server = try RedisServerProcess(password: "s3cret")
    let loop = try EventLoop()
    defer { loop.discardPendingWork() }  // the client's connection, registered, holds the loop
    let good = try client(server, on: loop, password: "s3cret")
    #expect(try send(good, on: loop, [["PING"]]).get() == [.simpleString("PONG")])
    let bad = try client(server, on: loop, password: "wrong")
    guard case .failure = send(bad, on: loop, [["PING"]]) else {
      Issue.record("a wrong password must not get replies")
      return
    }
  }

  @Test func serverKilled_failsTheBatch_thenTheClientReconnectsWhenItIsBack() throws {
    let server = try RedisServerProcess()
    let loop = try EventLoop()
    defer { loop.discardPendingWork() }  // the client's connection, registered, holds the loop
    let client = try client(server, on: loop)
    #expect(try send(client, on: loop, [["PING"]]).get() == [.simpleString("PONG")])
    server.stop()
    guard case .failure = send(client, on: loop, [["PING"]]) else {
      Issue.record("a batch to a killed server must fail")
      return
    }
    try server.start()
    // Reconnects after its backoff (1 ms here): retry until a batch is answered.
    var answered = false
    for _ in 0..<200 where !answered {
      if case .success(let replies) = send(client, on: loop, [["PING"]]) {
        answered = replies == [.simpleString("PONG")]
      } else {
        usleep(5_000)
      }
    }
    #expect(answered)
  }

  @Test func stoppedServer_answersTimeout() throws {
    let server = try RedisServerProcess()
    let loop = try EventLoop()
    defer { loop.discardPendingWork() }  // the client's connection, registered, holds the loop
    let client = try client(server, on: loop, timeoutMilliseconds: 50)
    #expect(try send(client, on: loop, [["PING"]]).get() == [.simpleString("PONG")])
    server.signal(SIGSTOP)
    defer { server.signal(SIGCONT) }
    #expect(send(client, on: loop, [["PING"]]) == .failure(.timeout))
  }
}
