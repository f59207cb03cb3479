import Metrics

/// What this binary is: its version (`--version`, `semantic_router_build_info`) and the Swift
/// compiler that built it.
enum BuildInfo {
  /// The router's version; raised with each release.
  static let version = "0.15.0"

  /// The Swift compiler's language version, major.minor (`#if compiler` has no string form).
  static let swiftVersion: String = {
    #if compiler(>=6.4)
      "6.4+"
    #elseif compiler(>=6.3)
      "6.3"
    #elseif compiler(>=6.2)
      "6.2"
    #elseif compiler(>=6.1)
      "6.1"
    #else
      "6.0"
    #endif
  }()

  /// Registers `semantic_router_build_info{version,swift_version} 1`, the Prometheus idiom for
  /// joining a build's facts to other series.
  static func register(in registry: MetricsRegistry) {
    registry.gauge(
      "semantic_router_build_info",
      help: "Always 1; the labels name the router's version and the Swift version that built it.",
      labelNames: ["version", "swift_version"]
    ).labels(version, swiftVersion).set(1)
  }
}
