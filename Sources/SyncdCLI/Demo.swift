import Configuration
import ContactModel
import ContactsSim
import Foundation
import JSON
import LocalStore
import RemoteAPI
import SQLite
import SyncEngine
import Vendors

/// `syncd demo`: a real end-to-end sync on a fresh clone, offline.
///
/// Starts the bundled emulator of a vendor's API (Waply unless told otherwise) in-process with
/// 1,000 seeded contacts, makes a demo CRM with about 1,000 customers (700 of them also on the
/// vendor), syncs, edits a few contacts on
/// each side (one on both: a conflict), syncs again, then syncs a third time to show a
/// quiet cycle that only lists.
enum Demo {
    static let token = "demo-token"

    /// The vendor's name as people write it.
    static func displayName(_ vendor: Vendor) -> String {
        switch vendor {
        case .waply: return "Waply"
        case .sendystack: return "SendyStack"
        case .superwaba: return "SuperWaba"
        case .qlara: return "Qlara"
        }
    }

    static func run(directory: String?, vendor: Vendor = .waply, console: any Console) async -> ExitCode {
        let name = displayName(vendor)
        let folder = directory ?? NSTemporaryDirectory() + "syncd-demo-\(UUID().uuidString.prefix(8))"
        // The demo writes a CRM, a config and a token of its own: never over somebody's files.
        if let existing = try? FileManager.default.contentsOfDirectory(atPath: folder), !existing.isEmpty {
            console.err(
                "syncd demo: --dir \(folder) is not empty; name an empty or new folder (the demo never overwrites files)"
            )
            return .usage
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            var simulatorConfiguration = SimConfiguration(
                dialect: Dialect(rawValue: vendor.rawValue) ?? .waply, token: token, randomSeed: 42)
            simulatorConfiguration.rateLimit = nil
            let simulator = try ContactsSimulator(configuration: simulatorConfiguration)
            defer { simulator.stop() }
            try simulator.start()
            simulator.seedIfEmpty(count: 1000, seed: 42)
            let control = ControlClient(port: simulator.port)
            console.out("syncd demo — files in \(folder)")
            console.out(
                "Started the bundled \(name) emulator on \(simulator.baseURL) with 1000 contacts (rate limits off)."
            )

            let remotePeople = try await control.contacts()
            let crmPath = folder + "/crm.sqlite"
            try makeCRM(
                at: crmPath, sharing: Array(remotePeople.prefix(700)),
                localOnly: ContactsSimulator.samplePeople(count: 300, seed: 4242))
            console.out("Made a demo CRM (\(crmPath)): 1000 customers, 700 of them also on \(name).")
            guard
                FileManager.default.createFile(
                    atPath: folder + "/\(vendor.rawValue)-token", contents: Data("\(token)\n".utf8),
                    attributes: [.posixPermissions: 0o600])
            else {
                throw CocoaError(.fileWriteUnknown)
            }
            let configPath = folder + "/config.json"
            try configJSON(baseURL: simulator.baseURL, vendor: vendor).prettyText.write(
                toFile: configPath, atomically: true, encoding: .utf8)
            console.out("Wrote \(configPath).")

            console.out(
                "\n1. First sync: matches the 700 shared customers by phone, then fills each side with the other's."
            )
            guard
                case .success = await Syncd.once(
                    config: configPath, options: SyncOptions(), environment: [:], console: console)
            else { return .software }

            console.out(
                "\n2. Edits on each side: 5 renamed in the CRM, 5 retagged on \(name), one customer renamed on both (a conflict), one new on each side."
            )
            let database = try Database(path: crmPath)
            let shared = Array(remotePeople.prefix(700))
            for person in shared[0..<5] {
                try database.run(
                    "UPDATE customers SET full_name = full_name || ' (CRM edit)', updated_at = ? WHERE mobile = ?",
                    [
                        .text(SystemClock().now().iso8601(fractionalSeconds: true)),
                        .text(person["phone"]?.string ?? ""),
                    ])
            }
            for person in shared[10..<15] {
                try await control.edit(
                    person["id"]?.string ?? "", ["tags": ["vip", .string("edited-on-\(vendor.rawValue)")]])
            }
            let conflicted = shared[20]
            try database.run(
                "UPDATE customers SET full_name = 'Name from the CRM', updated_at = ? WHERE mobile = ?",
                [
                    .text(SystemClock().now().iso8601(fractionalSeconds: true)),
                    .text(conflicted["phone"]?.string ?? ""),
                ])
            // Vendors' timestamps may have whole seconds: the later edit must be a second later.
            try await Task.sleep(nanoseconds: 1_100_000_000)
            try await control.edit(conflicted["id"]?.string ?? "", ["name": .string("Name from \(name)")])
            try database.run(
                "INSERT INTO customers (full_name, mobile, email, country, tags, whatsapp_opt_in, updated_at) VALUES ('Nia Wanjiru', '0712 000 111', 'nia@example.com', 'KE', '[\"new\"]', 1, ?)",
                [.text(SystemClock().now().iso8601(fractionalSeconds: true))])
            try await control.create(["phone": "+447400123456", "name": "Oliver New", "tags": ["new"]])

            console.out(
                "\n3. Second sync: pushes and pulls just those edits; the conflict goes to the newer side (\(name)) and is logged."
            )
            guard
                case .success = await Syncd.once(
                    config: configPath, options: SyncOptions(listChanges: true), environment: [:],
                    console: console)
            else { return .software }
            let explainPhone = conflicted["phone"]?.string ?? ""

            console.out(
                "\n4. Third sync: nothing changed, so it only lists \(name)'s pages and writes nothing.")
            guard
                case .success = await Syncd.once(
                    config: configPath, options: SyncOptions(), environment: [:], console: console)
            else { return .software }

            console.out(
                "\nThe conflicted contact, as 'syncd explain \(explainPhone) --config \(configPath)' shows it:"
            )
            _ = await Explain.run(
                config: configPath, contact: explainPhone, json: false, environment: [:], console: console)
            console.out("\nThe emulator stops with this command; the CRM and state files stay in \(folder).")
            return .success
        } catch {
            console.err("syncd demo: \(error)")
            return .software
        }
    }

    // MARK: - The demo CRM

    /// A typical small-business CRM table: its own column names, tags as JSON, extras in a
    /// JSON column, national phone formats for some rows.
    static func makeCRM(at path: String, sharing shared: [JSON], localOnly: [JSON]) throws {
        let database = try Database(path: path)
        try database.execute(
            """
            CREATE TABLE customers (
                id INTEGER PRIMARY KEY,
                full_name TEXT,
                mobile TEXT NOT NULL,
                email TEXT,
                country TEXT,
                tags TEXT,
                extra TEXT,
                whatsapp_opt_in INTEGER,
                updated_at TEXT
            );
            """)
        let earlier = SystemClock().now().adding(milliseconds: -86_400_000).iso8601(fractionalSeconds: true)
        try database.transaction {
            for person in shared + localOnly {
                let optIn: DatabaseValue =
                    person["opt_in"]?.string.map { .integer($0 == "opted_in" ? 1 : 0) } ?? .null
                try database.run(
                    "INSERT INTO customers (full_name, mobile, email, country, tags, extra, whatsapp_opt_in, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        DatabaseValue(person["name"]?.string), .text(person["phone"]?.string ?? ""),
                        DatabaseValue(person["email"]?.string),
                        DatabaseValue(person["country"]?.string), .text(person["tags"]?.text ?? "[]"),
                        .text(person["attributes"]?.text ?? "{}"), optIn, .text(earlier),
                    ])
            }
        }
    }

    static func configJSON(baseURL: String, vendor: Vendor) -> JSON {
        var remote: JSONObject = [
            "provider": .string(vendor.rawValue), "base_url": .string(baseURL),
            "token_file": .string("\(vendor.rawValue)-token"), "concurrency": 4,
            "requests_per_minute": 1_000_000,
        ]
        if vendor == .superwaba {
            remote["org_id"] = .string(SimConfiguration(dialect: .superwaba).organization)
        }
        return [
            "local": [
                "database": "crm.sqlite", "table": "customers", "key": "id", "default_country": "KE",
                "tags_format": "json",
                "columns": [
                    "phone": "mobile", "name": "full_name", "email": "email", "country": "country",
                    "tags": "tags", "attributes": "extra", "opt_in": "whatsapp_opt_in",
                    "updated_at": "updated_at",
                ],
            ],
            // The emulator runs without rate limits here, so the client needs no budget either.
            "remote": .object(remote),
            "sync": ["state": "syncd-state.sqlite", "conflict": "newest", "deletes": "none"],
        ]
    }
}

/// The emulator's control API, over the same HTTP transport syncd uses.
struct ControlClient {
    let base: String
    let transport = URLSessionTransport(maximumConnections: 2)

    init(port: Int) {
        base = "http://127.0.0.1:\(port)/_sim"
    }

    private func call(_ method: String, _ path: String, _ body: JSON? = nil) async throws -> JSON {
        let request = RemoteRequest(
            method: method, url: URL(string: base + path)!, headers: ["Content-Type": "application/json"],
            body: body?.serialized)
        let response = try await transport.send(request, timeout: 30)
        guard (200..<300).contains(response.status) else {
            throw RemoteError.rejected(
                status: response.status, code: nil, message: String(decoding: response.body, as: UTF8.self))
        }
        return try JSON.parse(response.body)
    }

    func contacts() async throws -> [JSON] { try await call("GET", "/contacts")["contacts"]?.array ?? [] }
    func edit(_ id: String, _ fields: JSON) async throws {
        _ = try await call("PATCH", "/contacts/\(id)", fields)
    }
    func create(_ fields: JSON) async throws { _ = try await call("POST", "/contacts", fields) }
}
