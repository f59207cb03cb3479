import CLibFuzzer
@testable import Router

/// The shipped config's guards (deploy/router-config.yaml, read from the repository root where
/// Tests/Fuzz/run starts targets): the jailbreak scorer trained on its example files.
let guards = loadGuards()

/// Scans fuzzed text for PII with the types the first byte's low seven bits pick, redacts what
/// it finds, and scores the text as a jailbreak attempt. Matches must be in the text, in order
/// and not overlapping, of the asked types; the score must be a probability.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  guard let data, size > 0 else { return 0 }
  let types = PIITypeSet(PIIType.allCases.filter { data[0] & 1 << $0.ordinal != 0 })
  // The scanner reads the fuzzer's own buffer, so AddressSanitizer sees any read past it.
  let text = UnsafeBufferPointer(start: data + 1, count: size - 1)
  let matches = PIIScanner(types: types).scan(text)
  var end = 0
  for match in matches {
    precondition(types.contains(match.type), "a \(match.type) match was not asked for")
    precondition(match.range.lowerBound >= end, "matches overlap or are out of order")
    precondition(match.range.upperBound <= text.count, "a match ends past the text")
    precondition(!match.range.isEmpty, "an empty match")
    end = match.range.upperBound
  }
  let string = String(decoding: text, as: UTF8.self)
  if string.utf8.elementsEqual(text) {
    _ = PIIRedactor.redact(string, matches)
  }
  let score = guards.scorer?.score(string) ?? 0
  precondition((0...1).contains(score), "jailbreak score \(score) is not a probability")
  return 0
}

func loadGuards() -> RequestGuards {
  let configuration = try! RouterConfiguration.load(path: "deploy/router-config.yaml")
  let guards = RequestGuards(settings: configuration.guards!)
  precondition(guards.scorer != nil, "the shipped config scores no jailbreaks")
  return guards
}

runLibFuzzer(CommandLine.argc, CommandLine.unsafeArgv, fuzzOneInput)
