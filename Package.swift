// swift-tools-version:6.0
// semantic-router: an Envoy ext_proc sidecar that routes LLM requests and traces them.
// Layers, bottom up (see README "Architecture"): CSystemShims / CNGHTTP2 / COpenSSL / CCurl /
// CGeneratedProtos (C) and TextCoding → Transport → GRPC → ExtProc / Tracing → Router →
// semantic-router executable.
// Linux only: the transport is built on epoll, eventfd and accept4 (no `platforms` entry, since
// SwiftPM can only name Apple platforms there; Transport refuses to compile elsewhere).
import PackageDescription

let swiftSettings: [SwiftSetting] = [
  .enableUpcomingFeature("ExistentialAny"),
]

// The embedding kernels are written for AVX2 and FMA (x86-64 since 2013): SIMD16<Float> is two
// registers and multiply-adds fuse. Elsewhere they compile for the host's own vector unit.
// They are optimised in debug builds too: unoptimised SIMD code is a scalar loop per lane,
// which made the model's tests take minutes instead of seconds.
#if arch(x86_64)
let kernelSettings: [SwiftSetting] = [
  .unsafeFlags(["-target-cpu", "haswell"]), .unsafeFlags(["-O"], .when(configuration: .debug)),
]
#else
let kernelSettings: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]
#endif

let package = Package(
  name: "semantic-router",
  products: [
    .executable(name: "semantic-router", targets: ["SemanticRouterCLI"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    // 1.16.2: LogHandler.log(event:), which JSONLogHandler implements.
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
  ],
  targets: [
    // The Linux system calls Swift's Glibc module lacks (epoll, eventfd, accept4). Only
    // Transport imports it.
    .target(name: "CSystemShims", cSettings: [.define("_GNU_SOURCE")]),
    // libnghttp2, as a Clang module. Only Transport imports it.
    .systemLibrary(
      name: "CNGHTTP2",
      pkgConfig: "libnghttp2",
      providers: [.apt(["libnghttp2-dev"])]
    ),
    // OpenSSL (libssl/libcrypto), for TLS to OTLP collectors. Only Transport imports it.
    .systemLibrary(
      name: "COpenSSL",
      pkgConfig: "openssl",
      providers: [.apt(["libssl-dev"])]
    ),
    // libcurl, for the OTLP/HTTP exporter's HTTP client. Only Transport imports it.
    .systemLibrary(
      name: "CCurl",
      pkgConfig: "libcurl",
      providers: [.apt(["libcurl4-openssl-dev"])]
    ),
    // protobuf-c code generated from Protos/ by scripts/generate-protos (committed).
    .target(
      name: "CGeneratedProtos",
      cSettings: [.unsafeFlags(["-Wno-unused-parameter"])],
      linkerSettings: [.linkedLibrary("protobuf-c")]
    ),
    // Text escapes shared by every layer: percent-encoding, hex digits, JSON string literals.
    .target(name: "TextCoding", swiftSettings: swiftSettings),
    // Event loop (epoll), sockets, timers and nghttp2 server/client connections; the
    // libcurl HTTP client.
    .target(
      name: "Transport",
      dependencies: [
        "CSystemShims", "CNGHTTP2", "COpenSSL", "CCurl",
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings
    ),
    // A RESP2 Redis client on Transport's event loops: codec, pipelined connection, reconnects.
    .target(
      name: "Redis",
      dependencies: ["Transport", .product(name: "Logging", package: "swift-log")],
      swiftSettings: swiftSettings
    ),
    // gRPC over Transport: message framing, status trailers, deadlines, method routing,
    // the health service, and a unary client.
    .target(
      name: "GRPC",
      dependencies: [
        "Transport", "TextCoding", "CGeneratedProtos",
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings
    ),
    // Envoy ext_proc v3: Swift values over the C messages, the per-stream state machine and
    // the Processor protocol.
    .target(
      name: "ExtProc",
      dependencies: [
        "GRPC", "Metrics", "CGeneratedProtos", .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings
    ),
    // W3C trace context, spans, samplers, batch processor, OTLP encoding and exporters.
    .target(
      name: "Tracing",
      dependencies: [
        "GRPC", "Transport", "TextCoding", "CGeneratedProtos",
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings
    ),
    // Counters and histograms, rendered in the Prometheus text format for `/metrics`.
    .target(name: "Metrics", swiftSettings: swiftSettings),
    // `semantic-router trace-view`: an OTLP/gRPC receiver that prints finished traces as trees.
    .target(
      name: "TraceView",
      dependencies: [
        "GRPC", "TextCoding", "CGeneratedProtos", .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings
    ),
    // OpenBLAS (single-threaded sgemm), for the embedding model's matrix products. Only
    // Embedding imports it.
    .systemLibrary(
      name: "COpenBLAS",
      pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev"])]
    ),
    // The embedding model's int8 dense-layer kernels in C (AVX2, AVX-512 VNNI, portable),
    // chosen at run time; Swift's SIMD integer widening compiles to per-lane code. Optimised in
    // debug builds too, for the same reason as kernelSettings. Only Embedding imports it.
    .target(
      name: "CEmbeddingKernels",
      cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]
    ),
    // A BERT sentence-embedding model on the CPU: safetensors, the WordPiece tokenizer, the
    // encoder forward pass, pooling.
    .target(
      name: "Embedding",
      dependencies: ["COpenBLAS", "CEmbeddingKernels"],
      swiftSettings: swiftSettings + kernelSettings
    ),
    // The semantic router: OpenAI bodies, classification, cache, routing decisions, spans.
    .target(
      name: "Router",
      dependencies: [
        "ExtProc", "Tracing", "Metrics", "TextCoding", "Embedding", "Yams",
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings
    ),
    // The semantic cache shared by replicas: `Router`'s `SharedCacheStore` in Redis.
    .target(
      name: "RedisCache",
      dependencies: [
        "Router", "Redis", "Transport", "Metrics", .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings
    ),
    .executableTarget(
      name: "SemanticRouterCLI",
      dependencies: [
        "Router", "RedisCache", "ExtProc", "GRPC", "Transport", "Tracing", "Metrics", "TraceView",
        "TextCoding", "Embedding", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings
    ),
    // bench/run's in-process benchmarks: the router's CPU per request through the ext_proc
    // handler, and the tracing span cost; bench/cache_index.sh's cache index benchmark. Not a product; `make test` does not run it.
    .executableTarget(
      name: "RouterBenchmarks",
      dependencies: [
        "Router", "Tracing", "ExtProc", "GRPC", "Redis", "RedisCache", "Transport", "Embedding",
        .product(name: "Logging", package: "swift-log"),
      ],
      path: "bench/Sources/RouterBenchmarks",
      swiftSettings: swiftSettings
    ),
    // bench/embedding's per-query latency of the embedding model, and its measures beside the
    // router's lexical vectors. Not a product; `make test` does not run it.
    .executableTarget(
      name: "EmbeddingBenchmarks",
      dependencies: ["Embedding", "Router"],
      path: "bench/Sources/EmbeddingBenchmarks",
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "TextCodingTests", dependencies: ["TextCoding"], swiftSettings: swiftSettings),
    .testTarget(name: "TransportTests", dependencies: ["Transport"], swiftSettings: swiftSettings),
    .testTarget(
      name: "RedisTests", dependencies: ["Redis", "RedisCache", "Router"],
      swiftSettings: swiftSettings),
    .testTarget(name: "GRPCTests", dependencies: ["GRPC"], swiftSettings: swiftSettings),
    .testTarget(
      name: "ExtProcTests", dependencies: ["ExtProc", "GRPC", "CGeneratedProtos"],
      swiftSettings: swiftSettings),
    .testTarget(name: "TracingTests", dependencies: ["Tracing"], swiftSettings: swiftSettings),
    .testTarget(name: "MetricsTests", dependencies: ["Metrics"], swiftSettings: swiftSettings),
    .testTarget(
      name: "TraceViewTests", dependencies: ["TraceView", "CGeneratedProtos"],
      swiftSettings: swiftSettings),
    // The embedding model against committed references from `tokenizers` and
    // `sentence-transformers` (scripts/embedding-references.py).
    .testTarget(
      name: "EmbeddingTests", dependencies: ["Embedding"], exclude: ["References"],
      swiftSettings: swiftSettings),
    // The semantic cache on the paraphrase set (deploy/cache), lexical and embedding vectors;
    // scripts/cache-paraphrases prints its report.
    .testTarget(
      name: "CacheParaphraseTests", dependencies: ["Router", "Embedding"],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "RouterTests", dependencies: ["Router", "ExtProc", "Metrics"],
      swiftSettings: swiftSettings),
    // The command line: parsing in process, and the built binary's exit codes and output.
    .testTarget(
      name: "SemanticRouterCLITests",
      dependencies: [
        "SemanticRouterCLI", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Yams", package: "Yams"),
      ],
      swiftSettings: swiftSettings),
  ],
  swiftLanguageModes: [.v6]
)

// libFuzzer targets (Tests/Fuzz, run by Tests/Fuzz/run), declared only when SEMANTIC_ROUTER_FUZZ
// is set: they link only with `-sanitize=fuzzer`, so a plain `swift build` must not see them.
if Context.environment["SEMANTIC_ROUTER_FUZZ"] != nil {
  let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
    ("FuzzGRPCMessageDeframer", ["GRPC"]),
    ("FuzzProcessingRequest", ["ExtProc"]),
    ("FuzzOpenAIRequest", ["Router"]),
    ("FuzzOpenAIResponseSummary", ["Router"]),
    ("FuzzServerSentEvents", ["Router"]),
    ("FuzzTraceContext", ["Tracing"]),
    ("FuzzHTTP1RequestParser", ["Transport"]),
    ("FuzzOTLPTraceRequest", ["TraceView"]),
    ("FuzzRouterConfiguration", ["Router"]),
    (
      "FuzzHTTP2Connection",
      ["GRPC", "ExtProc", "Router", "Metrics", .product(name: "Logging", package: "swift-log")]
    ),
    ("FuzzRESPDecoder", ["Redis"]),
    ("FuzzSharedCacheEntry", ["RedisCache", "Router"]),
    ("FuzzChatResponseTranslator", ["Router"]),
    ("FuzzSafetensorsHeader", ["Embedding", "FuzzSupport"]),
    ("FuzzBERTTokenizer", ["Embedding", "FuzzSupport"]),
    ("FuzzRequestGuards", ["Router"]),
  ]
  package.targets.append(.target(name: "CLibFuzzer", path: "Tests/Fuzz/Targets/CLibFuzzer"))
  // What several targets share (a scratch file for readers that take a path).
  package.targets.append(
    .target(
      name: "FuzzSupport", path: "Tests/Fuzz/Targets/FuzzSupport", swiftSettings: swiftSettings))
  for target in fuzzTargets {
    package.targets.append(
      .executableTarget(
        name: target.name, dependencies: ["CLibFuzzer"] + target.dependencies,
        path: "Tests/Fuzz/Targets/\(target.name)", swiftSettings: swiftSettings))
  }
}
