/// The process environment as the OpenTelemetry configuration spec reads it: a value is
/// trimmed of spaces and tabs, and an empty one counts as unset.
struct OTelEnvironment {
  private let variables: [String: String]

  init(_ variables: [String: String]) {
    self.variables = variables
  }

  /// The trimmed value of `name`, or nil when unset or empty.
  func value(_ name: String) -> String? {
    EnvironmentValue.trimmed(variables[name])
  }

  /// The value of the first of `names` that is set and not empty (the most specific first).
  func firstValue(_ names: String...) -> String? {
    for name in names {
      if let value = value(name) { return value }
    }
    return nil
  }

  /// `OTEL_EXPORTER_OTLP_TRACES_<suffix>`, else `OTEL_EXPORTER_OTLP_<suffix>`.
  func otlpValue(_ suffix: String) -> String? {
    firstValue("OTEL_EXPORTER_OTLP_TRACES_\(suffix)", "OTEL_EXPORTER_OTLP_\(suffix)")
  }
}
