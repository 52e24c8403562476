import ContactModel
public import Foundation
public import JSON
import Vendors

extension SyncdConfiguration {
    /// Reads and checks a config file. Relative paths in it are taken from the file's folder.
    /// `environment` supplies `token_env` (and, under systemd, `CREDENTIALS_DIRECTORY`).
    /// `needsToken: false` for commands that never call the vendor (`status`, `conflicts`).
    public static func load(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        needsToken: Bool = true
    ) throws(ConfigurationError) -> SyncdConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ConfigurationError(
                exists
                    ? "cannot read the config file \(path) (permission denied?)" : "no config file at \(path)"
            )
        }
        let json: JSON
        let bytes = Array(data)
        do {
            json = try JSON.parse(bytes, rejectingDuplicateNames: true)
        } catch {
            let (line, column) = Self.lineAndColumn(of: error.offset, in: bytes)
            throw ConfigurationError(
                "\(path) is not valid JSON: line \(line), column \(column): \(error.reason)")
        }
        // Kept absolute: messages suggest commands with `--config` that work from any folder.
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let directory = URL(fileURLWithPath: absolute).deletingLastPathComponent().path
        return try parse(
            json, path: absolute, directory: directory, environment: environment, needsToken: needsToken)
    }

    /// Checks a parsed config; every unknown key and wrong type is an error that names it.
    public static func parse(
        _ json: JSON, path: String, directory: String, environment: [String: String], needsToken: Bool = true
    ) throws(ConfigurationError) -> SyncdConfiguration {
        let root = try Reader(json, "config")
        try root.allow(["local", "remote", "sync"])
        let resolve = { (file: String) in
            file.hasPrefix("/") ? file : (directory as NSString).appendingPathComponent(file)
        }

        let localReader = try root.object("local")
        try localReader.allow(["database", "table", "key", "columns", "tags_format", "default_country"])
        let columnsReader = try localReader.object("columns")
        try columnsReader.allow([
            "phone", "name", "email", "country", "tags", "attributes", "opt_in", "updated_at",
        ])
        let columns = LocalSettings.Columns(
            phone: try columnsReader.requiredString("phone"), name: try columnsReader.string("name"),
            email: try columnsReader.string("email"), country: try columnsReader.string("country"),
            tags: try columnsReader.string("tags"), attributes: try columnsReader.string("attributes"),
            optIn: try columnsReader.string("opt_in"), updatedAt: try columnsReader.string("updated_at"))
        var fieldByColumn: [String: String] = [:]
        for (field, column) in columns.byField {
            if let other = fieldByColumn[column] {
                throw .key(
                    "local.columns.\(field)",
                    "names the column '\(column)', which local.columns.\(other) names too; each field needs a column of its own"
                )
            }
            fieldByColumn[column] = field
        }
        let tagsFormat = try localReader.choice("tags_format", LocalSettings.TagsFormat.self) ?? .json
        let defaultCountry = try localReader.string("default_country")?.uppercased()
        if let defaultCountry,
            (try? PhoneNumber.normalize("0700000000", defaultCountry: defaultCountry)) == nil
        {
            throw .key(
                "local.default_country",
                "'\(defaultCountry)' is not a country syncd knows (use an ISO code such as KE or GB)")
        }
        let local = LocalSettings(
            database: resolve(try localReader.requiredString("database")),
            table: try localReader.requiredString("table"),
            key: try localReader.string("key"), columns: columns, tagsFormat: tagsFormat,
            defaultCountry: defaultCountry)

        let remoteReader = try root.object("remote")
        try remoteReader.allow([
            "provider", "base_url", "token_env", "token_file", "concurrency", "timeout_seconds",
            "requests_per_minute", "max_wait_seconds", "allow_plain_http", "org_id", "login_email",
            "password_env",
            "password_file",
        ])
        guard let provider = try remoteReader.choice("provider", RemoteSettings.Provider.self) else {
            throw .key("remote.provider", "is required (sendystack, superwaba, waply or qlara)")
        }
        let baseURL = try remoteReader.string("base_url")
        if let baseURL, URL(string: baseURL)?.scheme.map({ ["http", "https"].contains($0) }) != true {
            throw .key("remote.base_url", "must be an http or https URL")
        }
        if let baseURL, let url = URL(string: baseURL), url.scheme == "http",
            !Self.isLoopback(url.host ?? ""),
            try remoteReader.bool("allow_plain_http") != true
        {
            throw .key(
                "remote.base_url",
                "would send the API token unencrypted to \(url.host ?? "?") over plain http; use https, or set remote.allow_plain_http to true"
            )
        }
        let organizationID = try remoteReader.string("org_id")
        let loginEmail = try remoteReader.string("login_email")
        switch provider {
        case .superwaba:
            guard organizationID != nil else {
                throw .key(
                    "remote.org_id", "is required for superwaba (the organisation id sent as x-org-id)")
            }
        default:
            for key in ["org_id", "login_email", "password_env", "password_file"] where remoteReader.has(key)
            {
                throw .key("remote.\(key)", "is for superwaba only")
            }
        }
        var login: RemoteSettings.Login?
        var token = Secret("")
        if let loginEmail {
            if remoteReader.has("token_env") || remoteReader.has("token_file") {
                throw .key(
                    "remote", "takes a token (token_env, token_file) or a login (login_email), not both")
            }
            let password =
                needsToken
                ? try Self.password(remoteReader, resolve: resolve, environment: environment)
                : ((try? Self.password(remoteReader, resolve: resolve, environment: environment))
                    ?? Secret(""))
            login = RemoteSettings.Login(email: loginEmail, password: password)
        } else {
            if remoteReader.has("password_env") || remoteReader.has("password_file") {
                throw .key("remote.login_email", "is required with a password (password_env, password_file)")
            }
            token =
                needsToken
                ? try Self.token(remoteReader, resolve: resolve, environment: environment)
                : ((try? Self.token(remoteReader, resolve: resolve, environment: environment)) ?? Secret(""))
        }
        var remote = RemoteSettings(
            provider: provider, baseURL: baseURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 },
            token: token,
            concurrency: try remoteReader.int("concurrency", in: 1...32) ?? 4,
            timeoutSeconds: try remoteReader.number("timeout_seconds", in: 1...600) ?? 30,
            requestsPerMinute: try remoteReader.int("requests_per_minute", in: 1...100_000_000))
        var secretFile = try remoteReader.string("token_file")
        if secretFile == nil { secretFile = try remoteReader.string("password_file") }
        remote.tokenFile = secretFile.map(resolve)
        remote.organizationID = organizationID
        remote.login = login
        remote.maximumWaitSeconds = try remoteReader.number("max_wait_seconds", in: 0...86_400) ?? 120

        let syncReader = try root.optionalObject("sync")
        try syncReader?.allow([
            "state", "conflict", "deletes", "max_delete_share", "interval_seconds", "metrics_file",
        ])
        let sync = SyncSettings(
            state: try syncReader?.string("state").map(resolve) ?? Self.defaultStatePath(forConfig: path),
            conflict: try syncReader?.choice("conflict", ConflictPolicy.self) ?? .newest,
            deletes: try syncReader?.choice("deletes", SyncSettings.Deletes.self)
                ?? SyncSettings.Deletes.none,
            maxDeleteShare: try syncReader?.number("max_delete_share", in: 0...1) ?? 0.1,
            intervalSeconds: try syncReader?.number("interval_seconds", in: 5...86_400) ?? 300,
            metricsFile: try syncReader?.string("metrics_file").map(resolve))
        if sameFile(sync.state, local.database) {
            throw .key(
                "sync.state",
                "is the CRM database itself (\(local.database)); syncd keeps its state in a file of its own")
        }
        return SyncdConfiguration(local: local, remote: remote, sync: sync, path: path)
    }

    /// Where a byte offset falls, as an editor counts: lines and columns from 1, a column
    /// being a character (not a byte) of its line.
    static func lineAndColumn(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        let before = bytes.prefix(min(max(offset, 0), bytes.count))
        let lineStart = (before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
        let line = before.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        return (line, String(decoding: before[lineStart...], as: UTF8.self).count + 1)
    }

    /// Whether `host` is this machine (where plain http never leaves it).
    private static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]"
    }

    /// Whether two paths name one file (through links, or `.` and `..`).
    private static func sameFile(_ first: String, _ second: String) -> Bool {
        let canonical = { (path: String) in
            URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        }
        return canonical(first) == canonical(second)
    }

    /// The API token from `token_env` or `token_file` (exactly one), or, when neither is given
    /// and systemd passed credentials, from `$CREDENTIALS_DIRECTORY/syncd-token`.
    private static func token(_ reader: Reader, resolve: (String) -> String, environment: [String: String])
        throws(ConfigurationError) -> Secret
    {
        let variable = try reader.string("token_env")
        let file = try reader.string("token_file")
        switch (variable, file) {
        case (let variable?, nil):
            return try Self.secret(environment, variable, key: "remote.token_env")
        case (nil, let file?):
            return try tokenFile(resolve(file), key: "remote.token_file")
        case (nil, nil):
            if let directory = environment["CREDENTIALS_DIRECTORY"] {
                return try tokenFile(
                    (directory as NSString).appendingPathComponent("syncd-token"),
                    key: "the credential syncd-token")
            }
            throw Self.noSecret(
                "an API token", env: "token_env", file: "token_file", credential: "syncd-token")
        default:
            throw .key("remote", "takes token_env or token_file, not both")
        }
    }

    /// The login's password from `password_env` or `password_file` (exactly one), or, when
    /// neither is given and systemd passed credentials, from `$CREDENTIALS_DIRECTORY/syncd-password`.
    private static func password(_ reader: Reader, resolve: (String) -> String, environment: [String: String])
        throws(ConfigurationError) -> Secret
    {
        let variable = try reader.string("password_env")
        let file = try reader.string("password_file")
        switch (variable, file) {
        case (let variable?, nil):
            return try Self.secret(environment, variable, key: "remote.password_env")
        case (nil, let file?):
            return try tokenFile(resolve(file), key: "remote.password_file")
        case (nil, nil):
            if let directory = environment["CREDENTIALS_DIRECTORY"] {
                return try tokenFile(
                    (directory as NSString).appendingPathComponent("syncd-password"),
                    key: "the credential syncd-password")
            }
            throw Self.noSecret(
                "a password for its login", env: "password_env", file: "password_file",
                credential: "syncd-password")
        default:
            throw .key("remote", "takes password_env or password_file, not both")
        }
    }

    /// A secret from an environment variable: one that is missing and one that is set to
    /// nothing are told apart (the fix differs).
    private static func secret(_ environment: [String: String], _ variable: String, key: String)
        throws(ConfigurationError) -> Secret
    {
        guard let value = environment[variable] else {
            throw .key(key, "names $\(variable), which is not set")
        }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw .key(
                key,
                "names $\(variable), which is set but empty\(value.isEmpty ? "" : " (only white space)"); put the secret in it"
            )
        }
        return Secret(trimmed)
    }

    /// A secret found in none of its three places: the message names each, and the fix.
    private static func noSecret(_ what: String, env: String, file: String, credential: String)
        -> ConfigurationError
    {
        ConfigurationError(
            "remote needs \(what) and none of its three places has one: remote.\(env) (an environment variable), remote.\(file) (a file), or the systemd credential \(credential) ($CREDENTIALS_DIRECTORY/\(credential), which only a service whose unit has LoadCredential=\(credential):… is given, and $CREDENTIALS_DIRECTORY is not set here). Run by hand, syncd gets the service's credential only through systemd-run; or set remote.\(file) to a file both you and the service can read",
            missingCredential: credential)
    }

    private static func tokenFile(_ path: String, key: String) throws(ConfigurationError) -> Secret {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .key(
                key,
                FileManager.default.fileExists(atPath: path)
                    ? "\(path) cannot be read" : "\(path) does not exist")
        }
        let value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else { throw .key(key, "\(path) is empty") }
        return Secret(value)
    }
}

/// Typed reads of one object in the config, with the dotted path for messages.
private struct Reader {
    let object: JSONObject
    let path: String

    init(_ json: JSON, _ path: String) throws(ConfigurationError) {
        guard let object = json.object else { throw .key(path, "must be an object, not \(json.kindName)") }
        self.object = object
        self.path = path
    }

    private func name(_ key: String) -> String { path == "config" ? key : "\(path).\(key)" }

    func allow(_ keys: [String]) throws(ConfigurationError) {
        if let unknown = object.memberNames.first(where: { !keys.contains($0) }) {
            throw .key(name(unknown), "is not a known key (known here: \(keys.joined(separator: ", ")))")
        }
    }

    func has(_ key: String) -> Bool { object[key].map { !$0.isNull } ?? false }

    func object(_ key: String) throws(ConfigurationError) -> Reader {
        guard let value = object[key] else { throw .key(name(key), "is required") }
        return try Reader(value, name(key))
    }

    func optionalObject(_ key: String) throws(ConfigurationError) -> Reader? {
        guard let value = object[key], !value.isNull else { return nil }
        return try Reader(value, name(key))
    }

    func string(_ key: String) throws(ConfigurationError) -> String? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let text = value.string else {
            throw .key(name(key), "must be a string, not \(value.kindName)")
        }
        guard !text.isEmpty else { throw .key(name(key), "must not be empty") }
        return text
    }

    func requiredString(_ key: String) throws(ConfigurationError) -> String {
        guard let text = try string(key) else { throw .key(name(key), "is required") }
        return text
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let value = object[key], !value.isNull else { return nil }
        guard case .int(let number) = value, range.contains(number) else {
            throw .key(name(key), "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let flag = value.bool else {
            throw .key(name(key), "must be true or false, not \(value.kindName)")
        }
        return flag
    }

    func number(_ key: String, in range: ClosedRange<Double>) throws(ConfigurationError) -> Double? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let number = value.double, range.contains(number) else {
            throw .key(name(key), "must be a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func choice<T: RawRepresentable>(_ key: String, _ type: T.Type) throws(ConfigurationError) -> T?
    where T.RawValue == String, T: CaseIterable {
        guard let text = try string(key) else { return nil }
        guard let value = T(rawValue: text) else {
            throw .key(
                name(key),
                "must be one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'")
        }
        return value
    }
}

extension SyncdConfiguration {
    /// Each config its own state file beside it, named after it (`NAME.json`:
    /// `NAME.state.sqlite`): a state file's links belong to one vendor account, so two configs
    /// must never share one by default. The shared `syncd-state.sqlite` of earlier versions is
    /// still used where it exists and the config's own file does not.
    public static func defaultStatePath(forConfig path: String) -> String {
        let config = URL(fileURLWithPath: path)
        let folder = config.deletingLastPathComponent()
        let own = folder.appendingPathComponent(
            config.deletingPathExtension().lastPathComponent + ".state.sqlite"
        ).path
        let shared = folder.appendingPathComponent("syncd-state.sqlite").path
        let files = FileManager.default
        return !files.fileExists(atPath: own) && files.fileExists(atPath: shared) ? shared : own
    }
}
