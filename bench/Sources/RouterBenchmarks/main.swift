import Foundation
import Logging

// RouterBenchmarks: in-process benchmarks for bench/run, one JSON object per result on stdout.
//
//   RouterBenchmarks router --config FILE --words FILE... [--sizes 2048,32768] [--requests N]
//                           [--tracing-endpoint HOST:PORT]
//   RouterBenchmarks spans --endpoint HOST:PORT [--spans N] [--rounds N] [--shape router|uniform12]
//   RouterBenchmarks exporters --grpc-endpoint HOST:PORT --http-endpoint URL [--batch N]
//                              [--exports N] [--rounds N]
//   RouterBenchmarks guards --config FILE --words FILE... [--sizes 1024,16384,131072]
//                           [--kib N] [--rounds N]
//
// `router`: CPU per request of the whole router path through the ext_proc handler (protobuf
// decode, state machine, OpenAI parse, classification, routing, cache lookup and store, body
// rewrite, response encode) for each body size, and with --tracing-endpoint the same with the
// router's tracing on (its five spans per request exported there). `spans`: CPU per span of the tracing pipeline
// (create, attributes, end, batch, OTLP encode, OTLP/gRPC export to the receiver at
// HOST:PORT), for the router's own five spans or five spans of 12 attributes each.
// `exporters`: CPU per export of one batch, OTLP/HTTP (libcurl) beside OTLP/gRPC (nghttp2), each
// to its receiver (bench/otlp_exporters.sh runs it with both). `guards`: CPU per KiB of the
// PII scan and the jailbreak scorer beside parse and classify, on prose and PII-dense bodies.
//   RouterBenchmarks cache --redis HOST:PORT [--entries N] [--lookups N]
// `cache`: latency (p50, p99) and CPU per semantic-cache lookup, in memory and in Redis
// (bench/shared_cache.sh starts a redis-server and runs it).
//   RouterBenchmarks cache-index [--sizes 1000,10000,100000] [--queries N] [--threshold T]
//                                [--model DIR --vectors-file FILE]
// `cache-index`: the in-memory cache's LSH index beside an exact scan at each size: insert
// time, lookup p50/p99, recall (bench/cache_index.sh runs it on random and MiniLM vectors).

LoggingSystem.bootstrap { label in
  var handler = StreamLogHandler.standardError(label: label)
  handler.logLevel = .warning
  return handler
}

do {
  let arguments = BenchmarkArguments(Array(CommandLine.arguments.dropFirst()))
  switch arguments.command {
  case "router":
    try RouterCostBenchmark(arguments: arguments).run()
  case "spans":
    try SpanCostBenchmark(arguments: arguments).run()
  case "exporters":
    try ExporterCostBenchmark(arguments: arguments).run()
  case "guards":
    try GuardCostBenchmark(arguments: arguments).run()
  case "cache":
    try CacheLookupBenchmark(arguments: arguments).run()
  case "cache-index":
    try CacheIndexBenchmark(arguments: arguments).run()
  default:
    throw BenchmarkArguments.Failure(
      "usage: RouterBenchmarks router --config FILE --words FILE... [--sizes 2048,32768] "
        + "[--requests N] [--tracing-endpoint HOST:PORT] | spans --endpoint HOST:PORT [--spans N] [--rounds N] "
        + "[--shape router|uniform12] | exporters --grpc-endpoint HOST:PORT --http-endpoint URL "
        + "[--batch N] [--exports N] [--rounds N] | guards --config FILE --words FILE... "
        + "[--sizes 1024,16384,131072] [--kib N] [--rounds N] | cache --redis HOST:PORT "
        + "[--entries N] [--lookups N] | cache-index [--sizes 1000,10000,100000] [--queries N] "
        + "[--threshold T] [--model DIR --vectors-file FILE]")
  }
} catch {
  FileHandle.standardError.write(Data("RouterBenchmarks: \(error)\n".utf8))
  exit(2)
}
