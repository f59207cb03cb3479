import Foundation
import Glibc
import Logging
import Synchronization
import Testing

@testable import Transport

/// Counts `onChange` calls and lets a test wait for the next one.
private final class ChangeCounter: Sendable {
  private let count = Mutex(0)

  func record() { count.withLock { $0 += 1 } }

  var value: Int { count.withLock { $0 } }

  /// Waits until the count passes `previous`; false after 10 s without it.
  func waitBeyond(_ previous: Int) -> Bool {
    for _ in 0..<1000 {
      if value > previous { return true }
      usleep(10_000)
    }
    return false
  }
}

@Suite("FileChangeWatcher over a real directory")
struct FileChangeWatcherTests {
  private static func makeDirectory() -> String {
    var template = Array("/tmp/watcher-test-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
  }

  /// Removes a directory `makeDirectory` made, with what the test wrote in it.
  private static func removeDirectory(_ directory: String) {
    try? FileManager.default.removeItem(atPath: directory)
  }

  private static func write(_ text: String, to path: String) {
    let file = fopen(path, "w")!
    fputs(text, file)
    fclose(file)
  }

  @Test func inPlaceWrite_isReported() throws {
    let directory = Self.makeDirectory()
    defer { Self.removeDirectory(directory) }
    let path = directory + "/config.yaml"
    Self.write("a: 1\n", to: path)
    let changes = ChangeCounter()
    let watcher = try FileChangeWatcher(
      path: path, settle: .milliseconds(20), logger: Logger(label: "test")
    ) { changes.record() }
    defer { watcher.stop() }
    Self.write("a: 2\n", to: path)
    #expect(changes.waitBeyond(0))
  }

  @Test func kubernetesConfigMapSwapOfTheDataSymlink_isReported() throws {
    // The layout a ConfigMap volume has: the file is a symlink through `..data`, and an update
    // writes a new timestamped folder, then renames a new `..data` link over the old one.
    let directory = Self.makeDirectory()
    defer { Self.removeDirectory(directory) }
    mkdir(directory + "/..2026_12_07_a", 0o755)
    Self.write("a: 1\n", to: directory + "/..2026_12_07_a/config.yaml")
    symlink("..2026_12_07_a", directory + "/..data")
    symlink("..data/config.yaml", directory + "/config.yaml")
    let changes = ChangeCounter()
    let watcher = try FileChangeWatcher(
      path: directory + "/config.yaml", settle: .milliseconds(20), logger: Logger(label: "test")
    ) { changes.record() }
    defer { watcher.stop() }
    mkdir(directory + "/..2026_12_07_b", 0o755)
    Self.write("a: 2\n", to: directory + "/..2026_12_07_b/config.yaml")
    let settled = changes.value
    symlink("..2026_12_07_b", directory + "/..data_tmp")
    rename(directory + "/..data_tmp", directory + "/..data")
    #expect(changes.waitBeyond(settled))
  }

  @Test func missingDirectory_throws() {
    #expect(throws: SystemError.self) {
      _ = try FileChangeWatcher(path: "/nonexistent-dir/config.yaml", logger: Logger(label: "t")) {}
    }
  }
}
