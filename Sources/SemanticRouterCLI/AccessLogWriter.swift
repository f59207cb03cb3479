import Dispatch
import Foundation
import Metrics
import Router
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The access log's writer: a bounded queue of finished lines and one thread that writes them
/// to stdout or a file, so a slow disk or a full pipe never holds up a request. A line that
/// finds the queue full is dropped and counted (`semantic_router_access_log_dropped_total`).
final class AccessLogWriter: AccessLogSink {
  private struct State {
    var lines: [[UInt8]] = []
    var closed = false
  }

  private let state = Mutex(State())
  private let wakeup = DispatchSemaphore(value: 0)
  private let finished = DispatchSemaphore(value: 0)
  private let maxQueuedLines: Int
  private let descriptor: Int32
  private let written = Atomic<UInt64>(0)
  private let dropped = Atomic<UInt64>(0)
  private let failed = Atomic<UInt64>(0)

  /// Opens `path` (`stdout`, or a file created if missing and appended to) and starts the
  /// writer thread.
  init(path: String, maxQueuedLines: Int) throws(AccessLogOpenError) {
    self.maxQueuedLines = maxQueuedLines
    if path == "stdout" {
      descriptor = STDOUT_FILENO
    } else {
      let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
      guard fd >= 0 else {
        throw AccessLogOpenError(path: path, reason: String(cString: strerror(errno)))
      }
      descriptor = fd
    }
    let thread = Thread { [self] in run() }
    thread.name = "access-log"
    thread.start()
  }

  func submit(_ line: [UInt8]) {
    enum Enqueue { case queuedFirst, queued, full, closed }
    let outcome = state.withLock { state -> Enqueue in
      if state.closed { return .closed }
      if state.lines.count >= maxQueuedLines { return .full }
      state.lines.append(line)
      return state.lines.count == 1 ? .queuedFirst : .queued
    }
    switch outcome {
    // The writer sleeps only when it found the queue empty: wake it for the first line.
    case .queuedFirst: wakeup.signal()
    case .full: dropped.add(1, ordering: .relaxed)
    case .queued, .closed: break
    }
  }

  /// Writes what is queued, then stops the thread and closes the file.
  func close() {
    let wasOpen = state.withLock { state in
      defer { state.closed = true }
      return !state.closed
    }
    guard wasOpen else { return }
    wakeup.signal()
    finished.wait()
    if descriptor != STDOUT_FILENO { _ = Glibc.close(descriptor) }
  }

  /// Exposes the lines written, dropped and not written (I/O errors), read at scrape time.
  func register(in registry: MetricsRegistry) {
    registry.registerCollector { [self] in
      [
        .counter(
          "semantic_router_access_log_lines_total",
          help: "Access-log lines written.", value: Double(written.load(ordering: .relaxed))),
        .counter(
          "semantic_router_access_log_dropped_total",
          help: "Access-log lines dropped: the queue held observability.access_log."
            + "max_queued_lines lines.",
          value: Double(dropped.load(ordering: .relaxed))),
        .counter(
          "semantic_router_access_log_write_failures_total",
          help: "Access-log lines lost to a failed write (disk full, closed pipe).",
          value: Double(failed.load(ordering: .relaxed))),
      ]
    }
  }

  private func run() {
    while true {
      wakeup.wait()
      let (lines, closed) = state.withLock { state in
        defer { state.lines.removeAll(keepingCapacity: true) }
        return (state.lines, state.closed)
      }
      for line in lines {
        if write(line) {
          written.add(1, ordering: .relaxed)
        } else {
          failed.add(1, ordering: .relaxed)
        }
      }
      if closed { break }
    }
    finished.signal()
  }

  /// Writes one whole line; false when the descriptor refused it.
  private func write(_ line: [UInt8]) -> Bool {
    line.withUnsafeBytes { buffer in
      var offset = 0
      while offset < buffer.count {
        let count = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
        if count < 0 {
          if errno == EINTR { continue }
          return false
        }
        offset += count
      }
      return true
    }
  }
}

/// The access-log file could not be opened.
struct AccessLogOpenError: Error, CustomStringConvertible {
  var path: String
  var reason: String

  var description: String { "cannot open access log \(path): \(reason)" }
}
