import Configuration
import ContactModel
import Foundation
import JSON
import Testing

@Suite struct ConfigurationLoadingTests {
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "syncd-config-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    private func write(_ json: String) throws -> String {
        let path = directory + "/config.json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private let valid = """
        {"local": {"database": "crm.sqlite", "table": "customers", "columns": {"phone": "mobile", "name": "full_name", "tags": "tags"}, "default_country": "ke"},
         "remote": {"provider": "waply", "token_env": "WAPLY_TOKEN"},
         "sync": {"conflict": "local", "deletes": "both", "max_delete_share": 0.25}}
        """

    /// Two configs in one folder never share a state file unless they say so: a state file's
    /// links belong to one vendor account.
    @Test func eachConfigHasAStateFileOfItsOwnByDefault() throws {
        let path = try write(valid)
        let other = directory + "/shop-b.json"
        try FileManager.default.copyItem(atPath: path, toPath: other)
        let first = try SyncdConfiguration.load(path: path, environment: ["WAPLY_TOKEN": "t"])
        let second = try SyncdConfiguration.load(path: other, environment: ["WAPLY_TOKEN": "t"])
        #expect(first.sync.state == directory + "/config.state.sqlite")
        #expect(second.sync.state == directory + "/shop-b.state.sqlite")
        // The shared file of earlier versions stays in use where it is and the own one is not.
        FileManager.default.createFile(atPath: directory + "/syncd-state.sqlite", contents: Data())
        #expect(SyncdConfiguration.defaultStatePath(forConfig: path) == directory + "/syncd-state.sqlite")
        FileManager.default.createFile(atPath: directory + "/shop-b.state.sqlite", contents: Data())
        #expect(SyncdConfiguration.defaultStatePath(forConfig: other) == directory + "/shop-b.state.sqlite")
    }

    @Test func readsAFullConfigAndResolvesPathsFromItsFolder() throws {
        let configuration = try SyncdConfiguration.load(
            path: try write(valid), environment: ["WAPLY_TOKEN": "secret-token\n"])
        #expect(configuration.local.database == directory + "/crm.sqlite")
        #expect(configuration.local.columns.phone == "mobile")
        #expect(configuration.local.columns.fields == [.name, .tags])
        #expect(configuration.local.defaultCountry == "KE")
        #expect(configuration.remote.baseURL == "https://api.waply.io/v1")
        #expect(configuration.remote.token.revealed == "secret-token")
        #expect(configuration.sync.state == directory + "/config.state.sqlite", "each config its own")
        #expect(configuration.sync.conflict == .local)
        #expect(configuration.sync.deletes == .both)
        #expect(configuration.sync.maxDeleteShare == 0.25)
    }

    @Test func neverPrintsTheToken() throws {
        let configuration = try SyncdConfiguration.load(
            path: try write(valid), environment: ["WAPLY_TOKEN": "secret-token"])
        var dumped = ""
        dump(configuration, to: &dumped)
        #expect(!dumped.contains("secret-token"))
        #expect(!"\(configuration)".contains("secret-token"))
        #expect("\(configuration.remote.token)" == "<redacted>")
    }

    @Test func readsTheTokenFromAFileOrSystemdCredentials() throws {
        try "file-token\n".write(toFile: directory + "/token", atomically: true, encoding: .utf8)
        let fromFile = valid.replacingOccurrences(
            of: #""token_env": "WAPLY_TOKEN""#, with: #""token_file": "token""#)
        #expect(
            try SyncdConfiguration.load(path: try write(fromFile), environment: [:]).remote.token.revealed
                == "file-token")
        try FileManager.default.createDirectory(
            atPath: directory + "/creds", withIntermediateDirectories: true)
        try "credential-token".write(
            toFile: directory + "/creds/syncd-token", atomically: true, encoding: .utf8)
        let neither = valid.replacingOccurrences(of: #", "token_env": "WAPLY_TOKEN""#, with: "")
        #expect(
            try SyncdConfiguration.load(
                path: try write(neither), environment: ["CREDENTIALS_DIRECTORY": directory + "/creds"]
            ).remote.token.revealed == "credential-token")
    }

    @Test(arguments: [
        (#"{"local": {}}"#, "local.columns is required"),
        (
            #"{"local": {"database": "x", "table": "t", "columns": {"phone": "p"}, "colums": 1}, "remote": {"provider": "waply", "token_env": "T"}}"#,
            "local.colums is not a known key"
        ),
        (
            #"{"local": {"database": "x", "table": "t", "columns": {"name": "n"}}, "remote": {"provider": "waply", "token_env": "T"}}"#,
            "local.columns.phone is required"
        ),
        (
            #"{"local": {"database": "x", "table": 5, "columns": {"phone": "p"}}, "remote": {"provider": "waply", "token_env": "T"}}"#,
            "local.table must be a string, not a number"
        ),
        (
            #"{"local": {"database": "x", "table": "t", "columns": {"phone": "p"}, "tags_format": "xml"}, "remote": {"provider": "waply", "token_env": "T"}}"#,
            "local.tags_format must be one of json, comma"
        ),
        (
            #"{"local": {"database": "x", "table": "t", "columns": {"phone": "p"}, "default_country": "ZZ"}, "remote": {"provider": "waply", "token_env": "T"}}"#,
            "local.default_country"
        ),
        (
            #"{"local": {"database": "x", "table": "t", "columns": {"phone": "p"}}, "remote": {"provider": "whatsapp", "token_env": "T"}}"#,
            "remote.provider must be one of"
        ),
        (
            #"{"local": {"database": "x", "table": "t", "columns": {"phone": "p"}}, "remote": {"provider": "waply", "token_env": "MISSING"}}"#,
            "remote.token_env names $MISSING, which is not set"
        ),
        (
            #"{"local": {"database": "x", "table": "t", "columns": {"phone": "p"}}, "remote": {"provider": "waply", "token_file": "nope"}}"#,
            "does not exist"
        ),
        (
            #"{"local": {"database": "x", "table": "t", "columns": {"phone": "p"}}, "remote": {"provider": "waply"}}"#,
            "remote needs an API token"
        ),
        (
            #"{"local": {"database": "x", "table": "t", "columns": {"phone": "p"}}, "remote": {"provider": "waply", "token_env": "T", "base_url": "ftp://x"}}"#,
            "remote.base_url must be an http or https URL"
        ),
        (
            #"{"local": {"database": "x", "table": "t", "columns": {"phone": "p"}}, "remote": {"provider": "waply", "token_env": "T", "concurrency": 0}}"#,
            "remote.concurrency must be a whole number"
        ),
        (
            #"{"local": {"database": "x", "table": "t", "columns": {"phone": "p"}}, "remote": {"provider": "waply", "token_env": "T"}, "sync": {"deletes": "all"}}"#,
            "sync.deletes must be one of none, local-to-remote, remote-to-local, both"
        ),
        (
            #"{"local": {"database": "x", "table": "t", "columns": {"phone": "p"}}, "remote": {"provider": "waply", "token_env": "T"}, "sync": {"max_delete_share": 2}}"#,
            "sync.max_delete_share must be a number from 0.0 to 1.0"
        ),
        (
            #"{"local": {"database": "x", "table": "t", "columns": {"phone": "p"}}, "remote": {"provider": "waply", "token_env": "T"}, "extra": true}"#,
            "extra is not a known key"
        ),
        ("not json", "is not valid JSON"),
        (
            #"{"local": {"database": "x", "table": "t", "columns": {"phone": "p"}}, "remote": {"provider": "waply", "token_env": "T"}, "sync": {"deletes": "none", "deletes": "both"}}"#,
            #"the member "deletes" appears twice"#
        ),
        (
            #"{"local": {"database": "x", "table": "t", "columns": {"phone": "p", "updated_at": "p"}}, "remote": {"provider": "waply", "token_env": "T"}}"#,
            "local.columns.updated_at names the column 'p', which local.columns.phone names too"
        ),
        (
            #"{"local": {"database": "crm.sqlite", "table": "t", "columns": {"phone": "p"}}, "remote": {"provider": "waply", "token_env": "T"}, "sync": {"state": "./crm.sqlite"}}"#,
            "sync.state is the CRM database itself"
        ),
    ])
    func namesTheKeyThatIsWrong(_ json: String, _ message: String) throws {
        let path = try write(json)
        #expect { try SyncdConfiguration.load(path: path, environment: ["T": "token"]) } throws: {
            "\($0)".contains(message)
        }
    }

    @Test func aSuperWabaLoginReadsItsPasswordFromAFileOrSystemdCredentials() throws {
        let login =
            #"{"local": {"database": "x", "table": "t", "columns": {"phone": "p"}}, "remote": {"provider": "superwaba", "org_id": "org-1", "login_email": "owner@example.com"EXTRA}}"#
        try FileManager.default.createDirectory(
            atPath: directory + "/creds", withIntermediateDirectories: true)
        try "credential-password\n".write(
            toFile: directory + "/creds/syncd-password", atomically: true, encoding: .utf8)
        let fromCredentials = try SyncdConfiguration.load(
            path: try write(login.replacingOccurrences(of: "EXTRA", with: "")),
            environment: ["CREDENTIALS_DIRECTORY": directory + "/creds"])
        #expect(fromCredentials.remote.login?.password.revealed == "credential-password")
        #expect(fromCredentials.remote.login?.email == "owner@example.com")
        #expect(fromCredentials.remote.organizationID == "org-1")
        try "file-password".write(toFile: directory + "/password", atomically: true, encoding: .utf8)
        let fromFile = try SyncdConfiguration.load(
            path: try write(login.replacingOccurrences(of: "EXTRA", with: #", "password_file": "password""#)),
            environment: [:])
        #expect(fromFile.remote.login?.password.revealed == "file-password")
        #expect(!"\(fromFile)".contains("file-password"))
    }

    @Test func plainHTTPIsForThisMachineOrWhenAllowed() throws {
        let remote =
            #"{"local": {"database": "x", "table": "t", "columns": {"phone": "p"}}, "remote": {"provider": "waply", "token_env": "T", "base_url": "URL"ALLOW}}"#
        for url in ["http://127.0.0.1:8080/v1", "http://localhost/v1", "https://api.example.com/v1"] {
            _ = try SyncdConfiguration.load(
                path: try write(
                    remote.replacingOccurrences(of: "URL", with: url).replacingOccurrences(
                        of: "ALLOW", with: "")), environment: ["T": "t"])
        }
        let allowed = remote.replacingOccurrences(of: "URL", with: "http://10.0.0.5/v1").replacingOccurrences(
            of: "ALLOW", with: #", "allow_plain_http": true"#)
        _ = try SyncdConfiguration.load(path: try write(allowed), environment: ["T": "t"])
    }

    @Test(arguments: [
        (#""provider": "waply""#, "an API token", "token_env", "token_file", "syncd-token"),
        (
            #""provider": "superwaba", "org_id": "o", "login_email": "a@example.com""#,
            "a password for its login",
            "password_env", "password_file", "syncd-password"
        ),
    ])
    func aSecretInNoPlaceNamesAllThreePlacesAndTheFix(
        _ remote: String, _ what: String, _ variable: String, _ file: String, _ credential: String
    ) throws {
        let path = try write(
            #"{"local": {"database": "x", "table": "t", "columns": {"phone": "p"}}, "remote": {\#(remote)}}"#)
        #expect {
            try SyncdConfiguration.load(path: path, environment: [:])
        } throws: { error in
            let message = "\(error)"
            return (error as? ConfigurationError)?.missingCredential == credential
                && message.hasPrefix("remote needs \(what)") && message.contains("remote.\(variable)")
                && message.contains("remote.\(file)")
                && message.contains("the systemd credential \(credential)")
                && message.contains("$CREDENTIALS_DIRECTORY/\(credential)")
                && message.contains("LoadCredential=\(credential):") && message.contains("systemd-run")
        }
    }

    @Test func jsonThatDoesNotParseSaysItsLineAndColumn() throws {
        let path = try write("{\n  \"local\": {\"table\": \"ü\",,\n}")
        #expect {
            try SyncdConfiguration.load(path: path, environment: [:])
        } throws: { error in
            "\(error)".hasPrefix("\(path) is not valid JSON: line 2, column 26: ")
                && !"\(error)".contains("byte")
        }
    }

    @Test(arguments: [
        ("", "set but empty; put the secret in it"), (" \n", "set but empty (only white space)"),
    ])
    func anEmptyTokenVariableIsReportedAsEmptyNotAsMissing(_ value: String, _ message: String) throws {
        let path = try write(valid)
        #expect {
            try SyncdConfiguration.load(path: path, environment: ["WAPLY_TOKEN": value])
        } throws: { "\($0)".contains("remote.token_env names $WAPLY_TOKEN, which is \(message)") }
    }

    @Test func saysWhenTheFileIsMissing() {
        #expect { try SyncdConfiguration.load(path: directory + "/none.json", environment: [:]) } throws: {
            "\($0)".contains("no config file at")
        }
    }
}

@Suite struct ConfigurationAuditTests {
    @Test func warnsAboutATokenFileEveryUserCanRead() throws {
        let directory = NSTemporaryDirectory() + "syncd-audit-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "token".write(toFile: directory + "/token", atomically: true, encoding: .utf8)
        try
            #"{"local": {"database": "x", "table": "t", "columns": {"phone": "p"}}, "remote": {"provider": "waply", "token_file": "token"}}"#
            .write(toFile: directory + "/config.json", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: directory + "/token")
        let open = try SyncdConfiguration.load(path: directory + "/config.json", environment: [:])
        #expect(ConfigurationAudit.warnings(open).first?.contains("readable by every user") == true)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: directory + "/token")
        #expect(
            ConfigurationAudit.warnings(
                try SyncdConfiguration.load(path: directory + "/config.json", environment: [:])
            ).isEmpty)
    }
}
