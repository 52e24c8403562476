import Foundation

/// Warnings about how the credential is kept. A config file itself cannot hold a secret
/// (there is no key for one: the token comes from an environment variable, a file or a
/// systemd credential), so the risk is a token file every user can read.
public enum ConfigurationAudit {
    public static func warnings(_ configuration: SyncdConfiguration) -> [String] {
        guard let file = configuration.remote.tokenFile,
            let permissions = (try? FileManager.default.attributesOfItem(atPath: file))?[.posixPermissions]
                as? Int,
            permissions & 0o004 != 0
        else { return [] }
        return [
            "the token file \(file) is readable by every user; chmod 600 it (or use a systemd credential)"
        ]
    }
}
