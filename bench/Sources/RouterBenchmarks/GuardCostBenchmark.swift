import Router

/// CPU per KiB of prompt of the request guards on their own, beside the rest of the router's
/// per-request stages: the PII scan over every text value of the request (all types on), the
/// lexical jailbreak scorer over the user's text, and for comparison the OpenAI parse and the
/// classification of the same bodies.
///
/// Two kinds of body per size: `prose` (the classifier's questions, bench.py's request body)
/// and `pii` (the same with an e-mail address, a phone number, a card number, an IP address and
/// a secret in every 512 bytes, so the detectors' validation paths run too). An untimed pass
/// checks that the scan finds what was put in (every planted value, nothing in the prose).
struct GuardCostBenchmark {
  let configPath: String
  let wordFiles: [String]
  let sizes: [Int]
  /// Timed KiB per measurement (bodies cycle).
  let kibibytes: Int
  let rounds: Int

  /// One planted value per type, each followed by a space.
  static let planted = [
    "ann.lee@example.com", "+44 20 7946 0958", "4111 1111 1111 1111", "192.168.10.20",
    "AKIAIOSFODNN7EXAMPLE",
  ]

  init(arguments: BenchmarkArguments) throws(BenchmarkArguments.Failure) {
    configPath = try arguments.string("config")
    wordFiles = arguments.values("words")
    guard !wordFiles.isEmpty else { throw BenchmarkArguments.Failure("--words is required") }
    sizes = try arguments.ints("sizes", default: [1024, 16384, 131072])
    kibibytes = try arguments.int("kib", default: 200_000)
    rounds = try arguments.int("rounds", default: 3)
  }

  func run() throws {
    let configuration = try RouterConfiguration.load(path: configPath)
    guard let settings = configuration.guards else {
      throw BenchmarkArguments.Failure("\(configPath) has no guards section")
    }
    let router = SemanticRouter(configuration: configuration)
    let scanner = PIIScanner(types: .all)
    let scorer = LexicalPromptInjectionScorer(
      attacks: settings.attackExamples, benign: settings.benignExamples)
    let phrases = try RequestBodies(files: wordFiles)
    for size in sizes {
      for kind in ["prose", "pii"] {
        let bodies = try phrases.make(count: 64, size: size, seed: 7).map {
          kind == "pii" ? Self.plant($0) : $0
        }
        let requests = try bodies.map { try OpenAIRequest.parse($0, endpoint: .chatCompletions) }
        let found = requests.map { request in
          request.textValues.reduce(0) { $0 + scanner.scan($1.text).count }
        }
        let expected =
          kind == "pii" ? requests.map { Self.plantedCount(in: $0) } : found.map { _ in 0 }
        guard found == expected else {
          throw BenchmarkArguments.Failure(
            "\(kind) \(size)-byte bodies: the scan found \(found.prefix(4)), expected "
              + "\(expected.prefix(4))")
        }
        let count = max(kibibytes * 1024 / size, 64)
        var sink = 0
        func perKiB(_ work: (OpenAIRequest, [UInt8]) -> Void) -> Double {
          var samples: [Double] = []
          for _ in 0..<rounds {
            let start = CPUTime.onThisThread()
            for index in 0..<count {
              work(requests[index % requests.count], bodies[index % bodies.count])
            }
            let micros = CPUTime.onThisThread().since(start)
            samples.append(micros / Double(count) / (Double(size) / 1024))
          }
          return samples.sorted()[samples.count / 2]
        }
        let scan = perKiB { request, _ in
          for value in request.textValues { sink &+= scanner.scan(value.text).count }
        }
        let jailbreak = perKiB { request, _ in
          for value in request.textValues where value.message != 0 {
            sink &+= Int(scorer.score(value.text) * 1000)
          }
        }
        let parse = perKiB { _, body in
          sink &+= (try? OpenAIRequest.parse(body, endpoint: .chatCompletions))?.messages.count ?? 0
        }
        let classify = perKiB { request, _ in
          sink &+= router.classify(request).category.utf8.count
        }
        if sink == 42 { print("") }  // keeps the results alive
        try ResultLine.write([
          "benchmark": "guards", "body_bytes": size, "kind": kind, "requests_per_round": count,
          "rounds": rounds, "pii_scan_cpu_us_per_kib": scan,
          "jailbreak_cpu_us_per_kib": jailbreak, "parse_cpu_us_per_kib": parse,
          "classify_cpu_us_per_kib": classify,
        ])
      }
    }
  }

  /// `body` with the user message's text overwritten, every 512 bytes, by the planted values.
  static func plant(_ body: [UInt8]) -> [UInt8] {
    var body = body
    let marker = Array(#"{"role":"user","content":""#.utf8)
    guard let start = body.firstRange(of: marker)?.upperBound else { return body }
    let end = body.count - #""}],"temperature":0.2,"max_tokens":256}"#.utf8.count
    let text = Array((planted.joined(separator: " ") + " ").utf8)
    var position = start + 64
    while position + text.count + 2 < end {
      body[position - 1] = UInt8(ascii: " ")
      body.replaceSubrange(position..<(position + text.count), with: text)
      position += 512
    }
    return body
  }

  /// How many planted values the user message of `request` holds.
  static func plantedCount(in request: OpenAIRequest) -> Int {
    guard let text = request.messages.last?.content else { return 0 }
    var count = 0
    var rest = Substring(text)
    while let range = rest.range(of: planted[0]) {
      count += planted.count
      rest = rest[range.upperBound...]
    }
    return count
  }
}
