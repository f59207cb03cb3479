import ArgumentParser
import Router

/// `serve --log-format text|json`.
extension LoggingSettings.Format: ExpressibleByArgument {}
