import ExtProc
import GRPC

/// The wire messages of the benchmark's exchanges: fixed headers and response, one request
/// body message per distinct body.
struct EnvoyExchanges {
  /// The distinct request bodies.
  let bodies: [[UInt8]]
  let requestHeaders: [UInt8]
  let requestBodies: [[UInt8]]
  let responseHeaders: [UInt8]
  let responseBody: [UInt8]
  /// The ext_proc call's own metadata, as Envoy sends it.
  let metadata: [GRPCMetadataField] = [
    GRPCMetadataField(name: ":method", value: "POST"),
    GRPCMetadataField(name: ":scheme", value: "http"),
    GRPCMetadataField(name: ":path", value: ExtProcService.methodPath),
    GRPCMetadataField(name: ":authority", value: "processor"),
    GRPCMetadataField(name: "content-type", value: "application/grpc"),
    GRPCMetadataField(name: "te", value: "trailers"),
    GRPCMetadataField(name: "grpc-timeout", value: "30000m"),
  ]

  /// Outcome of a run: where the next run continues in the body cycle, and immediate answers.
  struct Outcome {
    var next: Int
    var immediateResponses: Int
  }

  init(bodies: [[UInt8]]) {
    self.bodies = bodies
    let size = bodies[0].count
    requestHeaders = EnvoyMessages.requestHeaders([
      (":authority", "127.0.0.1:10000"), (":path", "/v1/chat/completions"), (":method", "POST"),
      (":scheme", "http"), ("content-type", "application/json"), ("content-length", String(size)),
      ("user-agent", "h2load nghttp2/1.52.0"), ("x-forwarded-proto", "http"),
      ("x-request-id", "4e5f0e0c-5a8e-4f0e-9b1e-6c1f2b3a4d5e"),
    ])
    requestBodies = bodies.map(EnvoyMessages.requestBody)
    let answer = Array(
      (#"{"id":"chatcmpl-bench","object":"chat.completion","model":"llama-3.1-8b","#
        + #""choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"#
        + #""finish_reason":"stop"}],"usage":{"prompt_tokens":400,"completion_tokens":1,"#
        + #""total_tokens":401}}"#).utf8)
    responseHeaders = EnvoyMessages.responseHeaders([
      (":status", "200"), ("content-type", "application/json"),
      ("content-length", String(answer.count)), ("date", "Tue, 24 Nov 2026 12:00:00 GMT"),
      ("server", "envoy"), ("x-envoy-upstream-service-time", "0"),
    ])
    responseBody = EnvoyMessages.responseBody(answer)
  }

  /// Runs `count` exchanges, one new call and handler each (as the server makes per stream),
  /// cycling through the bodies from `startingAt`.
  func run(_ count: Int, factory: @escaping ProcessorFactory, startingAt start: Int) throws
    -> Outcome
  {
    let handlers = ExtProcService.handlerFactory(processorFactory: factory)
    var index = start
    var immediate = 0
    for _ in 0..<count {
      let call = BenchmarkCall(metadata: metadata)
      let handler = handlers(call)
      handler.received(message: requestHeaders, on: call)
      handler.received(message: requestBodies[index], on: call)
      handler.received(message: responseHeaders, on: call)
      handler.received(message: responseBody, on: call)
      handler.receivedEnd(on: call)
      guard call.messagesSent == 4, call.status == .ok else {
        throw BenchmarkArguments.Failure(
          "exchange \(index): \(call.messagesSent) responses, status \(String(describing: call.status))"
        )
      }
      immediate += call.immediateResponses
      index += 1
      if index == requestBodies.count { index = 0 }
    }
    return Outcome(next: index, immediateResponses: immediate)
  }
}
