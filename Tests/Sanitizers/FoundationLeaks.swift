// The positive control for lsan.supp's Foundation entries: two leaks of the toolchain's
// Foundation (Swift 6.3.1 on Linux) with no code of ours. LeakSanitizer reports 32 bytes from
// Process.run() (a weak reference's side table) and 4,096 bytes per empty file read by
// Data(contentsOf:) (the read buffer of an empty file is never freed).
//   swiftc -sanitize=address Tests/Sanitizers/FoundationLeaks.swift -o /tmp/foundation-leaks
//   /tmp/foundation-leaks
import Foundation

let process = Process()
process.executableURL = URL(fileURLWithPath: "/bin/true")
try process.run()
process.waitUntilExit()

let empty = FileManager.default.temporaryDirectory.appendingPathComponent("foundation-leaks-empty")
try Data().write(to: empty)
_ = try Data(contentsOf: empty)
try FileManager.default.removeItem(at: empty)
print("ran /bin/true and read an empty file")
