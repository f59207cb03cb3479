import Router
import Testing

@Suite struct SemanticRouterTests {
  static let yaml = """
    models:
      - name: big
        category: [math]
        endpoints:
          - { name: a1, address: "http://127.0.0.1:8101", weight: 5 }
          - { name: a2, address: "http://127.0.0.1:8102", weight: 1 }
          - { name: a3, address: "http://127.0.0.1:8103", weight: 1 }
      - name: small
        category: [general, chat]
        endpoints:
          - { name: b1, address: "http://backend-b:8000" }
      - name: also-math
        category: [math]
        endpoints: [{ name: c1, address: "http://127.0.0.1:8105" }]
    default_model: small
    categories:
      - { name: math, examples: ["solve the equation", "integral of x"] }
      - { name: chat }
    auto_model_names: [auto, router]
    """

  private func router(_ extra: String = "") throws -> SemanticRouter {
    SemanticRouter(configuration: try RouterConfiguration.parse(yaml: Self.yaml + "\n" + extra))
  }

  private func route(_ decision: RoutingDecision) -> RoutingDecision.Route? {
    Self.route(decision)
  }

  private static func route(_ decision: RoutingDecision) -> RoutingDecision.Route? {
    if case .route(let route) = decision { return route }
    return nil
  }

  @Test func auto_choosesTheFirstModelServingTheCategory() throws {
    let router = try router()
    let decision = try #require(route(router.decide(requestedModel: "auto", category: "math")))
    #expect(decision.model == "big")
    #expect(decision.reason == .categoryModel)
    #expect(decision.rewritesModel)
    #expect(router.isAutoModel("router"))
    let general = try #require(route(router.decide(requestedModel: "router", category: "general")))
    #expect(general.model == "small")
    #expect(general.clusterName == "vsr_b1")
  }

  @Test func auto_withACategoryNoModelServes_usesTheDefaultModel() throws {
    let router = try router()
    #expect(router.model(forCategory: "nothing") == ("small", .defaultModel))
  }

  @Test func explicitKnownModel_goesThere_unchanged() throws {
    let decision = try #require(
      route(try router().decide(requestedModel: "also-math", category: "general")))
    #expect(decision.model == "also-math")
    #expect(decision.endpoint.name == "c1")
    #expect(decision.reason == .explicitModel)
    #expect(!decision.rewritesModel)
  }

  @Test func unknownModel_isRejected_orPassedThroughWhenConfigured() throws {
    #expect(
      try router().decide(requestedModel: "gpt-9", category: "math")
        == .modelNotFound(model: "gpt-9"))
    let passing = try router("unknown_model: pass_through")
    #expect(
      passing.decide(requestedModel: "gpt-9", category: "math") == .passThrough(model: "gpt-9"))
  }

  @Test func endpoints_followSmoothWeightedRoundRobin() throws {
    let router = try router()
    let picks = (0..<14).map { _ in
      route(router.decide(requestedModel: "big", category: "math"))?.endpoint.name ?? "-"
    }
    // nginx's smooth sequence for weights 5, 1, 1, twice.
    #expect(
      picks == ["a1", "a1", "a2", "a1", "a3", "a1", "a1", "a1", "a1", "a2", "a1", "a3", "a1", "a1"])
  }

  @Test func endpoints_keepTheirShares_underConcurrentPicks() async throws {
    let router = try router()
    let counts = await withTaskGroup(of: [String: Int].self) { group in
      for _ in 0..<4 {
        group.addTask {
          var counts: [String: Int] = [:]
          for _ in 0..<700 {
            let name =
              Self.route(router.decide(requestedModel: "big", category: "math"))?.endpoint.name
              ?? "-"
            counts[name, default: 0] += 1
          }
          return counts
        }
      }
      return await group.reduce(into: [:]) { total, counts in
        total.merge(counts, uniquingKeysWith: +)
      }
    }
    // 2800 picks = 400 rounds of 7: exact shares whatever the interleaving.
    #expect(counts == ["a1": 2000, "a2": 400, "a3": 400])
  }

  @Test func cacheKey_isTheModel_plusTheSystemPrompt() throws {
    let router = try router()
    func request(_ system: String?) throws -> OpenAIRequest {
      let systemMessage = system.map { #"{"role":"system","content":"\#($0)"},"# } ?? ""
      return try OpenAIRequest.parse(
        Array(#"{"model":"auto","messages":[\#(systemMessage){"role":"user","content":"hi"}]}"#),
        endpoint: .chatCompletions)
    }
    #expect(router.cacheKey(model: "big", request: try request(nil)) == "big")
    let pirate = router.cacheKey(model: "big", request: try request("Answer like a pirate"))
    #expect(pirate.hasPrefix("big#"))
    #expect(pirate == router.cacheKey(model: "big", request: try request("Answer like a pirate")))
    #expect(pirate != router.cacheKey(model: "big", request: try request("Answer like a poet")))
  }

  /// Questions that differ only in a number have near-identical vectors but different answers.
  @Test func cacheKey_carriesTheQuerysNumbers() throws {
    let router = try router()
    func key(_ question: String) throws -> String {
      router.cacheKey(
        model: "big",
        request: try OpenAIRequest.parse(
          Array(#"{"model":"auto","messages":[{"role":"user","content":"\#(question)"}]}"#),
          endpoint: .chatCompletions))
    }
    #expect(try key("What is photosynthesis?") == "big")
    #expect(try key("What is 15% of 80?") != key("What is 15% of 90?"))
    #expect(try key("Add 1 and 23") != key("Add 12 and 3"))
    #expect(try key("What is 15% of 80?") == key("what's 15 percent of 80"))
  }

  @Test func cacheKey_ofALongQuery_keysTheUnreadMiddleExactly() throws {
    let router = try router("classifier: { max_query_bytes: 64 }")
    func key(_ middle: String) throws -> String {
      let content = "solve the equation 2x = 4 " + middle + " and then integrate it twice"
      return router.cacheKey(
        model: "big",
        request: try OpenAIRequest.parse(
          Array(#"{"model":"auto","messages":[{"role":"user","content":"\#(content)"}]}"#.utf8),
          endpoint: .chatCompletions))
    }
    let long = String(repeating: "some pasted text ", count: 20)
    #expect(try key(long).hasPrefix("big|"))
    #expect(try key(long) == key(long))
    #expect(try key(long) != key(long + "x" + long))
    #expect(try key(long + long) == key(long + long))
    #expect(try !key("").contains("|"))
  }

  @Test func clusterNames_areStableAndSafe() {
    #expect(ClusterName.forEndpoint(named: "backend-1") == "vsr_backend-1")
    #expect(ClusterName.forEndpoint(named: "GPU Node #2") == "vsr_gpu_node__2")
  }

  @Test func classify_usesTheLastUserMessage() throws {
    let router = try router()
    let request = try OpenAIRequest.parse(
      Array(
        #"{"model":"auto","messages":[{"role":"user","content":"hello there"},{"role":"assistant","content":"hi"},{"role":"user","content":"solve the equation 2x = 4"}]}"#
      ),
      endpoint: .chatCompletions)
    #expect(router.classify(request).category == "math")
  }
}
