/// A problem with the configuration, naming the key and what is wrong with it. syncd exits
/// with 78 (EX_CONFIG) on any of these, before anything is written.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    /// The systemd credential (`syncd-token`, `syncd-password`) that would have held the
    /// missing secret, when that is what is wrong: the command line then says how to run
    /// syncd by hand with the service's credential.
    public var missingCredential: String?

    public init(_ message: String, missingCredential: String? = nil) {
        self.message = message
        self.missingCredential = missingCredential
    }

    public static func key(_ path: String, _ problem: String) -> ConfigurationError {
        ConfigurationError("\(path) \(problem)")
    }

    public var description: String { message }
}
