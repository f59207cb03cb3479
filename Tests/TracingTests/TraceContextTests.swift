import Testing

@testable import Tracing

@Suite("tracestate (W3C Trace Context §3.3)")
struct TraceStateTests {
  @Test func parse_validMembers_keepOrderAndIgnoreOWSAndEmptyMembers() throws {
    let state = try TraceState.parse("rojo=00f067aa0ba902b7, congo=t61rcWkgMzE ,,\t tenant1@sys=v ")
    #expect(state.entries.map(\.key) == ["rojo", "congo", "tenant1@sys"])
    #expect(state["congo"] == "t61rcWkgMzE")
    #expect(state.headerValue == "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,tenant1@sys=v")
  }

  @Test(
    arguments: [
      ("novalue", TraceContextParseError.Reason.invalidTraceStateMember),
      ("Upper=1", .invalidTraceStateKey),
      ("1abc=1", .invalidTraceStateKey),
      ("a@b@c=1", .invalidTraceStateKey),
      ("@sys=1", .invalidTraceStateKey),
      ("tenant@=1", .invalidTraceStateKey),
      ("tenant@1sys=1", .invalidTraceStateKey),
      ("tenant@abcdefghijklmno=1", .invalidTraceStateKey),
      ("k=", .invalidTraceStateValue),
      ("k=a=b", .invalidTraceStateValue),
      ("k=tab\there", .invalidTraceStateValue),
      ("k=\(String(repeating: "v", count: 257))", .invalidTraceStateValue),
      ("a=1,a=2", .duplicateTraceStateKey),
    ])
  func parse_invalid_isRejected(header: String, reason: TraceContextParseError.Reason) {
    #expect(throws: TraceContextParseError(reason)) { try TraceState.parse(header) }
  }

  @Test func parse_keyAndValueLengthLimits() throws {
    let longKey = "a" + String(repeating: "b", count: 255)
    let longValue = String(repeating: "v", count: 256)
    _ = try TraceState.parse("\(longKey)=\(longValue)")
    #expect(throws: TraceContextParseError(.invalidTraceStateKey)) {
      try TraceState.parse("\(longKey)b=1")
    }
    let tenant = "0" + String(repeating: "t", count: 240)
    _ = try TraceState.parse("\(tenant)@abcdefghijklmn=1")
    #expect(throws: TraceContextParseError(.invalidTraceStateKey)) {
      try TraceState.parse("\(tenant)t@sys=1")
    }
  }

  @Test func parse_32MembersAccepted_33Rejected() throws {
    let members = (0..<33).map { "k\($0)=v" }
    #expect(try TraceState.parse(members.prefix(32).joined(separator: ",")).entries.count == 32)
    #expect(throws: TraceContextParseError(.tooManyTraceStateMembers)) {
      try TraceState.parse(members.joined(separator: ","))
    }
  }

  @Test func set_movesOurEntryToTheFrontAndDropsTheRightmostBeyond32() throws {
    var state = try TraceState.parse("a=1,ours=old,b=2")
    try state.set("ours", "new")
    #expect(state.headerValue == "ours=new,a=1,b=2")
    var full = try TraceState.parse((0..<32).map { "k\($0)=v" }.joined(separator: ","))
    try full.set("ours", "x")
    #expect(full.entries.count == 32)
    #expect(full.entries.first?.key == "ours")
    #expect(full["k31"] == nil)
    #expect(throws: TraceContextParseError(.invalidTraceStateKey)) { try full.set("Bad", "x") }
  }

  @Test func headerValue_truncatesTo512ByWholeEntries_longEntriesFirst() throws {
    // 4 entries of ~130 chars (> 128) and 3 short ones: 4*130+3 separators... over 512.
    let long = (0..<4).map { "l\($0)=" + String(repeating: "x", count: 127) }  // 130 chars each
    let short = (0..<3).map { "s\($0)=short" }
    let state = try TraceState.parse((short + long).joined(separator: ","))
    let header = state.headerValue
    #expect(header.utf8.count <= 512)
    // Long entries go first, starting from the end; all short ones survive, and so do the first
    // long entries that fit.
    #expect(header == (short + long.prefix(3)).joined(separator: ","))
    // Only short entries: removed from the end.
    let many = (0..<60).map { String(format: "k%02d", $0) + "=vvvvv" }  // 9 chars each
    let cut = try TraceState.parse(many.prefix(32).joined(separator: ",")).headerValue
    #expect(cut.utf8.count <= 512)
    #expect(cut == many.prefix(32).joined(separator: ","))
    let big = (0..<32).map { "key\($0)=" + String(repeating: "v", count: 20) }
    let bigCut = try TraceState.parse(big.joined(separator: ",")).headerValue
    #expect(bigCut.utf8.count <= 512)
    #expect(big.joined(separator: ",").hasPrefix(bigCut))
  }
}

@Suite("baggage (W3C Baggage)")
struct BaggageTests {
  @Test func parse_membersWithPropertiesAndOWS_reEmitsNormalised() {
    let baggage = Baggage.parse("userId=alice , serverNode = DF%2028 ;prop1 ; p2 = v2,isProduction=false")
    #expect(baggage.members.map(\.key) == ["userId", "serverNode", "isProduction"])
    #expect(baggage["serverNode"] == "DF 28")
    #expect(baggage.headerValue == "userId=alice,serverNode=DF%2028;prop1;p2=v2,isProduction=false")
  }

  @Test func parse_invalidMembersAreDropped() {
    let baggage = Baggage.parse("good=1,bad key=2,=3,novalue,quote=\"x\",ok=2")
    #expect(baggage.headerValue == "good=1,ok=2")
  }

  @Test func parse_limits_keepWholeMembersWithin180And8192Bytes() {
    let many = (0..<200).map { "k\($0)=v" }.joined(separator: ",")
    #expect(Baggage.parse(many).members.count == 180)
    let value = String(repeating: "x", count: 1000)
    let large = (0..<10).map { "k\($0)=\(value)" }.joined(separator: ",")
    let kept = Baggage.parse(large)
    #expect(kept.members.count == 8)
    #expect(kept.headerValue.utf8.count <= 8192)
  }

  @Test func set_percentEncodesAndReplaces() {
    var baggage = Baggage.parse("a=1")
    let replaced = baggage.set("a", "x y,z%")
    #expect(replaced)
    #expect(baggage.headerValue == "a=x%20y%2Cz%25")
    #expect(baggage["a"] == "x y,z%")
    let invalid = baggage.set("bad key", "1")
    #expect(!invalid)
  }
}

@Suite("propagation (W3C processing model)")
struct TraceContextPropagatorTests {
  static let parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03"

  @Test func extract_valid_givesRemoteParentWithStateAndBaggage() throws {
    let extracted = TraceContextPropagator.extract(
      traceparent: [Self.parent], tracestate: ["a=1", "b=2"], baggage: ["k=v"])
    let parent = try #require(extracted.parent)
    #expect(parent.isRemote)
    #expect(parent.isSampled)
    #expect(parent.traceFlags.contains(.random))
    #expect(parent.traceState.headerValue == "a=1,b=2")
    #expect(extracted.baggage["k"] == "v")
  }

  @Test func extract_invalidTraceparent_ignoresTracestateButKeepsBaggage() {
    let extracted = TraceContextPropagator.extract(
      traceparent: ["00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01"],
      tracestate: ["a=1"], baggage: ["k=v"])
    #expect(extracted.parent == nil)
    #expect(extracted.traceparentError == TraceContextParseError(.invalidCharacter))
    #expect(extracted.baggage["k"] == "v")
  }

  @Test func extract_twoTraceparentHeaders_isInvalid() {
    let extracted = TraceContextPropagator.extract(traceparent: [Self.parent, Self.parent])
    #expect(extracted.parent == nil)
    #expect(extracted.traceparentError == TraceContextParseError(.multipleTraceParentHeaders))
  }

  @Test func extract_invalidTracestate_keepsParentAndDropsState() throws {
    let extracted = TraceContextPropagator.extract(
      traceparent: [Self.parent], tracestate: ["a=1,a=2"])
    let parent = try #require(extracted.parent)
    #expect(parent.traceState.isEmpty)
    #expect(extracted.tracestateError == TraceContextParseError(.duplicateTraceStateKey))
  }

  @Test func extract_emptyTracestateFromEnvoy_isFine() throws {
    let extracted = TraceContextPropagator.extract(traceparent: [Self.parent], tracestate: [""])
    #expect(try #require(extracted.parent).traceState.isEmpty)
    #expect(extracted.tracestateError == nil)
  }

  @Test func inject_writesTraceparentAndNonEmptyStateAndBaggage() throws {
    let context = SpanContext(
      traceID: TraceID(high: 1, low: 2), spanID: SpanID(3), traceFlags: [.sampled, .random],
      traceState: try TraceState.parse("a=1"))
    let headers = TraceContextPropagator.inject(context, baggage: Baggage.parse("k=v"))
    #expect(headers.map(\.name) == ["traceparent", "tracestate", "baggage"])
    #expect(headers[0].value == "00-00000000000000010000000000000002-0000000000000003-03")
    #expect(headers[1].value == "a=1")
    #expect(headers[2].value == "k=v")
    let bare = TraceContextPropagator.inject(
      SpanContext(traceID: TraceID(high: 1, low: 2), spanID: SpanID(3), traceFlags: []))
    #expect(bare.map(\.name) == ["traceparent"])
    #expect(TraceContextPropagator.inject(.invalid).isEmpty)
  }
}
