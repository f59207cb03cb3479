import Router
import Testing

@Suite struct LoggingSettingsTests {
  @Test func withoutTheKeys_formatIsUnset_andTheAccessLogOff() throws {
    let logging = try RouterConfiguration.parse(yaml: RouterFixtures.oneModelYAML).logging
    #expect(logging.format == nil)
    #expect(!logging.accessLogEnabled)
    #expect(logging.accessLogPath == "stdout")
    #expect(logging.accessLogMaxQueuedLines == 10_000)
  }

  @Test func formatAndAccessLog_areRead() throws {
    let logging = try RouterConfiguration.parse(
      yaml: RouterFixtures.oneModelYAML + """
        observability:
          logging: { format: json }
          access_log: { enabled: true, path: /var/log/router/access.log, max_queued_lines: 50 }
        """
    ).logging
    #expect(logging.format == .json)
    #expect(logging.accessLogEnabled)
    #expect(logging.accessLogPath == "/var/log/router/access.log")
    #expect(logging.accessLogMaxQueuedLines == 50)
  }

  @Test func badValues_areReportedWithTheirKeysAndLines() {
    let found = configurationIssues(
      RouterFixtures.oneModelYAML + """
        observability:
          logging: { format: xml }
          access_log: { enabled: yes please, max_queued_lines: 0, rotate: daily }
        """)
    #expect(found.contains { $0.path == "observability.logging.format" && $0.line == 7 })
    #expect(found.contains { $0.path == "observability.access_log.enabled" && $0.line == 8 })
    #expect(
      found.contains { $0.path == "observability.access_log.max_queued_lines" && $0.line == 8 })
    #expect(
      found.contains {
        $0.path.hasPrefix("observability.access_log") && $0.message.contains("rotate")
      })
  }
}
