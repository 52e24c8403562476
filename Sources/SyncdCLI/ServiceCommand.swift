public import Configuration
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The whole command that runs a syncd command by hand the way the README's unit runs the
/// service: as its dynamic user, with its state directory, the CRM's folder and the API
/// token handed over as a systemd credential, which syncd run from a shell never gets.
public enum ServiceCommand {
    /// `sudo systemd-run … syncd ARGUMENTS`, for the config at `configuration.path`, with
    /// every argument as given except `--config`, which names the config's absolute path.
    public static func line(arguments: [String], configuration: SyncdConfiguration, credential: String)
        -> String
    {
        let configFolder = (configuration.path as NSString).deletingLastPathComponent
        let configName = ((configuration.path as NSString).lastPathComponent as NSString)
            .deletingPathExtension
        // The README's units: /etc/syncd/config.json with /etc/syncd/token (or password), and
        // syncd@NAME with /etc/syncd/NAME.json and /etc/syncd/NAME.token.
        let secret = credential == "syncd-password" ? "password" : "token"
        let secretFile = configFolder + "/" + (configName == "config" ? secret : "\(configName).\(secret)")
        var properties = ["DynamicUser=yes", "User=syncd"]
        let stateFolder = (configuration.sync.state as NSString).deletingLastPathComponent
        if stateFolder.hasPrefix("/var/lib/") {
            properties.append("StateDirectory=" + stateFolder.dropFirst("/var/lib/".count))
        } else {
            properties.append("ReadWritePaths=-" + stateFolder)
        }
        let crmFolder = (configuration.local.database as NSString).deletingLastPathComponent
        if crmFolder != stateFolder { properties.append("ReadWritePaths=-" + crmFolder) }
        if let group = group(of: crmFolder) { properties.append("SupplementaryGroups=" + group) }
        properties.append("LoadCredential=\(credential):\(secretFile)")
        var rest: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--config" || argument == "-c" {
                index += 1
            } else if !argument.hasPrefix("--config=") {
                rest.append(argument)
            }
        }
        rest += ["--config", configuration.path]
        let words =
            ["sudo", "systemd-run", "--pipe", "--wait", "--quiet", "--collect"]
            + properties.flatMap { ["-p", $0] } + [executable] + rest
        return words.map(quoted).joined(separator: " ")
    }

    /// This binary, where it was installed; the README's place when it cannot tell.
    static var executable: String {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return (path as NSString).lastPathComponent == "syncd" ? path : "/usr/local/bin/syncd"
    }

    /// The group that owns a folder, unless it is root's (the service then needs none).
    private static func group(of folder: String) -> String? {
        var status = stat()
        guard stat(folder, &status) == 0, status.st_gid != 0, let entry = getgrgid(status.st_gid),
            let name = entry.pointee.gr_name
        else { return nil }
        return String(cString: name)
    }

    /// A word as a shell reads it back unchanged.
    static func quoted(_ word: String) -> String {
        let plain = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=+@,%".contains($0) }
        return plain && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
