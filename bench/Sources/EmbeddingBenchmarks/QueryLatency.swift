import Embedding
import Foundation

/// Per-query latency on the calling thread (the script pins it to one core): for each line of
/// token ids, 3 warm-up queries, then `runs` timed ones. Prints one JSON object per input with
/// every sample (wall and thread CPU time) in milliseconds; the script pools rounds and takes
/// percentiles.
enum QueryLatency {
  static func run(embedder: SentenceEmbedder, idsFile: String, runs: Int) throws {
    let lines = try String(contentsOfFile: idsFile, encoding: .utf8).split(separator: "\n")
    let inputs = try lines.map {
      (try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [Int]).map(Int32.init)
    }
    for ids in inputs {
      for _ in 0..<3 { _ = embedder.embed(ids: ids) }
      var wall: [Double] = []
      var cpu: [Double] = []
      for _ in 0..<runs {
        let start = now()
        _ = embedder.embed(ids: ids)
        let end = now()
        wall.append(Double(end.wall - start.wall) / 1e6)
        cpu.append(Double(end.cpu - start.cpu) / 1e6)
      }
      func list(_ samples: [Double]) -> String { samples.map { "\($0)" }.joined(separator: ",") }
      print(#"{"tokens": \#(ids.count), "wall_ms": [\#(list(wall))], "cpu_ms": [\#(list(cpu))]}"#)
    }
  }

  /// Wall-clock and this thread's CPU time in nanoseconds: the CPU time leaves out the moments
  /// another process had the core, which on a shared machine is most of the noise.
  private static func now() -> (wall: UInt64, cpu: UInt64) {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    let cpu = UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    return (DispatchTime.now().uptimeNanoseconds, cpu)
  }
}
