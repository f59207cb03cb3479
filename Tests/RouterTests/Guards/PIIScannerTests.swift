import Testing

@testable import Router

/// The values `PIIScanner` finds in `text`, with their types.
private func found(_ text: String, types: PIITypeSet = .all) -> [(PIIType, String)] {
  let bytes = Array(text.utf8)
  return PIIScanner(types: types).scan(text).map { match in
    (match.type, String(decoding: bytes[match.range], as: UTF8.self))
  }
}

private func types(_ text: String) -> [PIIType] { found(text).map(\.0) }

@Suite("PII detectors")
struct PIIScannerTests {
  // MARK: - E-mail

  @Test(
    "e-mail addresses are found with their exact extent",
    arguments: [
      ("write to alice@example.com today", "alice@example.com"),
      ("<bob.smith+news@mail.example.co.uk>", "bob.smith+news@mail.example.co.uk"),
      ("mailto:carol_x@sub-domain.example.org.", "carol_x@sub-domain.example.org"),
      ("(dave%ops@corp.io),", "dave%ops@corp.io"),
    ])
  func email(text: String, value: String) {
    let result = found(text)
    #expect(result.count == 1)
    #expect(result.first?.0 == .email)
    #expect(result.first?.1 == value)
  }

  @Test(
    "e-mail-like code is not an address",
    arguments: [
      "@Test func parses() {}", "@app.route(\"/users\")", "ssh user@host", "x = a@b.T",
      "git@github", "@@ -1,4 +1,5 @@", "name@.com", "user@-bad.com", "first.@example.com",
      "user@example.c0m",
    ])
  func notEmail(text: String) {
    #expect(!types(text).contains(.email))
  }

  // MARK: - Phone

  @Test(
    "phone numbers in E.164 and national formats",
    arguments: [
      ("call +1 (555) 123-4567 now", "+1 (555) 123-4567"),
      ("+44 20 7946 0958", "+44 20 7946 0958"),
      ("+4915112345678.", "+4915112345678"),
      ("(555) 123-4567", "(555) 123-4567"),
      ("555-123-4567", "555-123-4567"),
      ("555.123.4567", "555.123.4567"),
      ("1 555 123 4567", "1 555 123 4567"),
      ("020 7946 0958", "020 7946 0958"),
      ("06 12 34 56 78", "06 12 34 56 78"),
    ])
  func phone(text: String, value: String) {
    let result = found(text)
    #expect(result.map(\.0) == [.phone])
    #expect(result.first?.1 == value)
  }

  @Test(
    "dates, versions, amounts and counts are not phone numbers",
    arguments: [
      "on 2024-05-12 at noon", "12.05.2024", "05/12/2024 and 1/2/2025", "version 1.2.3.4567",
      "v10.15.7", "costs 1,234,567.89 dollars", "order 1234567890", "between 10-20 and 30-40",
      "ISBN 978-3-16-148410-0", "1999-2024", "2024-05-12 10:30:00", "123-456-7890",
      "pi is 3.14159265358979",
    ])
  func notPhone(text: String) {
    #expect(!types(text).contains(.phone), "\(text)")
  }

  // MARK: - Payment cards

  @Test(
    "card numbers that pass Luhn with a known prefix",
    arguments: [
      ("card 4111 1111 1111 1111 exp", "4111 1111 1111 1111"),
      ("4111-1111-1111-1111", "4111-1111-1111-1111"),
      ("5500000000000004", "5500000000000004"),
      ("amex 3782 822463 10005.", "3782 822463 10005"),
      ("6011111111111117", "6011111111111117"),
      ("2223000048400011", "2223000048400011"),
    ])
  func card(text: String, value: String) {
    let result = found(text)
    #expect(result.map(\.0) == [.card])
    #expect(result.first?.1 == value)
  }

  @Test(
    "numbers that fail Luhn or have no card prefix are not cards",
    arguments: [
      "4111 1111 1111 1112", "1234 5678 9012 3456", "9111111111111111", "4111-1111 1111-1111",
      "0000 0000 0000 0000",
    ])
  func notCard(text: String) {
    #expect(!types(text).contains(.card), "\(text)")
  }

  // MARK: - IBAN

  @Test(
    "IBANs, whole or in groups of four",
    arguments: [
      ("IBAN: DE89 3704 0044 0532 0130 00.", "DE89 3704 0044 0532 0130 00"),
      ("GB82WEST12345698765432", "GB82WEST12345698765432"),
      ("to FR14 2004 1010 0505 0001 3M02 606 please", "FR14 2004 1010 0505 0001 3M02 606"),
      ("NO9386011117947", "NO9386011117947"),
    ])
  func iban(text: String, value: String) {
    let result = found(text)
    #expect(result.map(\.0) == [.iban])
    #expect(result.first?.1 == value)
  }

  @Test(
    "IBAN-shaped text with a wrong check or length is not an IBAN",
    arguments: [
      "DE88 3704 0044 0532 0130 00", "GB82WEST1234569876543", "ZZ82WEST12345698765432",
      "DE89370400440532013000X",
    ])
  func notIBAN(text: String) {
    #expect(!types(text).contains(.iban), "\(text)")
  }

  // MARK: - SSN

  @Test("valid US SSNs", arguments: ["123-45-6789", "SSN: 219 09 9998,", "078-05-1121"])
  func ssn(text: String) {
    #expect(types(text) == [.ssn])
  }

  @Test(
    "SSNs in the never-issued ranges are not SSNs",
    arguments: ["000-12-3456", "666-12-3456", "900-12-3456", "999-12-3456", "123-00-4567",
      "123-45-0000", "123-45-67890"])
  func notSSN(text: String) {
    #expect(!types(text).contains(.ssn), "\(text)")
  }

  // MARK: - IP addresses

  @Test(
    "IPv4 and IPv6 addresses",
    arguments: [
      ("host 192.168.1.10.", "192.168.1.10"),
      ("10.0.0.1:8080", "10.0.0.1"),
      ("[2001:db8::8a2e:370:7334]:443", "2001:db8::8a2e:370:7334"),
      ("fe80:0:0:0:202:b3ff:fe1e:8329", "fe80:0:0:0:202:b3ff:fe1e:8329"),
      ("::ffff:192.0.2.128", "::ffff:192.0.2.128"),
    ])
  func ip(text: String, value: String) {
    let result = found(text)
    #expect(result.map(\.0) == [.ip])
    #expect(result.first?.1 == value)
  }

  @Test(
    "times, versions, MAC addresses and C++ scopes are not IP addresses",
    arguments: [
      "at 12:30:45", "256.1.1.1", "1.2.3", "1.2.3.4.5", "std::vector<int>", "a::b",
      "00:1a:2b:3c:4d:5e", "01.02.03.04", "v1.2.3.4a",
    ])
  func notIP(text: String) {
    #expect(!types(text).contains(.ip), "\(text)")
  }

  // MARK: - Secrets

  @Test(
    "well-known secret formats",
    arguments: [
      ("key AKIAIOSFODNN7EXAMPLE here", "AKIAIOSFODNN7EXAMPLE"),
      ("AWS_ACCESS_KEY_ID=ASIAY34FZKBOKMUTVV7A", "ASIAY34FZKBOKMUTVV7A"),
      ("ghp_0123456789abcdefghijklmnopqrstuvwxyz;", "ghp_0123456789abcdefghijklmnopqrstuvwxyz"),
      ("github_pat_11ABCDEFG0123456789_abcdefg", "github_pat_11ABCDEFG0123456789_abcdefg"),
      ("xoxb-1234567890-abcdefghij", "xoxb-1234567890-abcdefghij"),
      ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.x1", "eyJhbGciOiJIUzI1NiJ9.e30.x1"),
      ("send it with the header bearer abcdefghij0123456789xyz", "abcdefghij0123456789xyz"),
    ])
  func secret(text: String, value: String) {
    let result = found(text)
    #expect(result.map(\.0) == [.secret])
    #expect(result.first?.1 == value)
  }

  @Test("a PEM private-key block is one secret, END line included")
  func privateKey() {
    let block = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAKC\n-----END RSA PRIVATE KEY-----"
    let result = found("here:\n\(block)\nthanks")
    #expect(result.map(\.0) == [.secret])
    #expect(result.first?.1 == block)
    // Public keys and certificates are not secrets.
    #expect(found("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----").isEmpty)
  }

  @Test(
    "secret look-alikes are not secrets",
    arguments: [
      "AKIA is a prefix", "AKIAIOSFODNN7EXAMPLE1", "ghp_short", "Bearer authentication",
      "the bearer token is sent in a header", "xoxb-short", "MAKIAIOSFODNN7EXAMPLE",
    ])
  func notSecret(text: String) {
    #expect(!types(text).contains(.secret), "\(text)")
  }

  // MARK: - The scan

  @Test("several types in one text come in order, each once")
  func mixed() {
    let text = """
      Hi, I'm Ann (ann@example.com, +1 555 123 4567). Card 4111 1111 1111 1111,
      SSN 123-45-6789, IBAN GB82 WEST 1234 5698 7654 32, server 10.1.2.3, key AKIAIOSFODNN7EXAMPLE.
      """
    #expect(types(text) == [.email, .phone, .card, .ssn, .iban, .ip, .secret])
  }

  @Test("numbers written next to each other are each found, past the run limit")
  func adjacentNumbers() {
    let text = "+44 20 7946 0958 4111 1111 1111 1111 123-45-6789 555-123-4567 1 2 3"
    #expect(
      found(text).map(\.1) == [
        "+44 20 7946 0958", "4111 1111 1111 1111", "123-45-6789", "555-123-4567",
      ])
  }

  @Test("values are found whatever their alignment after plain words", arguments: 0..<17)
  func alignment(padding: Int) {
    let prefix = String(repeating: "a", count: padding) + " plain words before "
    let text = prefix + "ann@example.com then 4111 1111 1111 1111 and 10.0.0.1 after words"
    #expect(found(text).map(\.1) == ["ann@example.com", "4111 1111 1111 1111", "10.0.0.1"])
    #expect(found(prefix + "xAKIAIOSFODNN7EXAMPLE AKIAIOSFODNN7EXAMPLE").map(\.0) == [.secret])
  }

  // Found by FuzzRequestGuards: the eight-byte skip reached the end of the text and the scan
  // read the byte after it.
  @Test(
    "plain words ending in a space on an eight-byte boundary end the scan at the text's end",
    arguments: ["say hi. ", "\u{7F}Ignore ", String(repeating: "plain w ", count: 4)])
  func plainWordsToTheEnd(text: String) {
    #expect(found(text).isEmpty)
    let followed = Array((text + "4111 1111 1111 1111").utf8)
    let matches = followed.withUnsafeBufferPointer { bytes in
      PIIScanner().scan(UnsafeBufferPointer(rebasing: bytes[..<text.utf8.count]))
    }
    #expect(matches.isEmpty)
  }

  @Test("a type switched off is not looked for")
  func switchedOff() {
    let text = "ann@example.com 4111 1111 1111 1111 10.1.2.3"
    #expect(found(text, types: PIITypeSet([.card])).map(\.0) == [.card])
    #expect(found(text, types: PIITypeSet([])).isEmpty)
  }

  @Test("plain prose and non-ASCII text have nothing to find")
  func prose() {
    #expect(found("What is the capital of France? Ça va très bien, 谢谢. Année 2024.").isEmpty)
  }
}
