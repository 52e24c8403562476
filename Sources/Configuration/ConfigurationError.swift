/// A problem with the configuration, naming the key and what is wrong with it. syncd exits
/// with 78 (EX_CONFIG) on any of these, before anything is written.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public static func key(_ path: String, _ problem: String) -> ConfigurationError {
        ConfigurationError("\(path) \(problem)")
    }

    public var description: String { message }
}
