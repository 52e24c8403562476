import Configuration
import ContactModel
import ContactsSim
import Foundation
import JSON
import RemoteAPI
import SQLite
import SyncEngine
import TestSupport
import Vendors

/// A CRM database in a temporary folder, an emulator on loopback, and a config joining
/// them: what every sync test starts from. The test's own SQLite connection plays the CRM
/// application, its database in WAL unless `crmJournalMode` says otherwise (`delete`, SQLite's
/// default rollback journal, costs an fsync or three a commit: too slow for every test).
final class SyncFixture {
    let directory: String
    let sim: SimHarness
    var configuration: SyncdConfiguration
    let crm: Database
    var crmPath: String { directory + "/crm.sqlite" }

    init(
        _ dialect: Dialect = .waply, updatedAtColumn: Bool = true,
        tagsFormat: LocalSettings.TagsFormat = .json, crmJournalMode: String = "wal",
        simulator: (inout SimConfiguration) -> Void = { _ in }
    ) throws {
        directory = NSTemporaryDirectory() + "syncd-test-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        sim = try SimHarness(dialect, configure: simulator)
        crm = try Database(path: directory + "/crm.sqlite", options: .init(walMode: false))
        // The stand-in CRM need not survive a power cut: without its fsyncs, a rollback
        // journal's commit costs a fraction of a millisecond instead of tens.
        try crm.execute("PRAGMA journal_mode = \(crmJournalMode); PRAGMA synchronous = OFF")
        try crm.execute(
            """
            CREATE TABLE customers (id INTEGER PRIMARY KEY, full_name TEXT, mobile TEXT, email TEXT, country TEXT, tags TEXT,
                extra TEXT, opt_in INTEGER\(updatedAtColumn ? ", updated_at TEXT" : ""));
            """)
        let columns = LocalSettings.Columns(
            phone: "mobile", name: "full_name", email: "email", country: "country", tags: "tags",
            attributes: "extra", optIn: "opt_in",
            updatedAt: updatedAtColumn ? "updated_at" : nil)
        let provider = RemoteSettings.Provider(rawValue: dialect.rawValue)!
        configuration = SyncdConfiguration(
            local: LocalSettings(
                database: directory + "/crm.sqlite", table: "customers", key: "id", columns: columns,
                tagsFormat: tagsFormat, defaultCountry: "KE"),
            remote: RemoteSettings(
                provider: provider, baseURL: sim.simulator.baseURL, token: Secret(sim.token), concurrency: 4,
                timeoutSeconds: 5, requestsPerMinute: 1_000_000),
            sync: SyncSettings(state: directory + "/state.sqlite"),
            path: directory + "/config.json")
        if dialect == .superwaba {
            configuration.remote.organizationID = SimConfiguration(dialect: .superwaba).organization
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Replaces the `customers` table with one whose columns are declared as given.
    func replaceTable(columns: String, key: String? = "id") throws {
        try crm.execute("DROP TABLE customers; CREATE TABLE customers (\(columns));")
        configuration.local.key = key
    }

    /// Another connection to the CRM, as the CRM application (or a backup) would open it:
    /// it leaves the journal mode as it finds it.
    func openCRM() throws -> Database {
        try Database(path: crmPath, options: .init(create: false, walMode: false))
    }

    var configPath: String { directory + "/config.json" }

    /// Writes the fixture's configuration as a config file for the `syncd` command (the token
    /// comes from `$SYNCD_TOKEN`).
    func writeConfig(key: String? = "id") throws {
        let local = configuration.local
        var columns = JSONObject()
        for (field, column) in local.columns.byField { columns[field] = .string(column) }
        var localJSON: JSONObject = [
            "database": .string(local.database), "table": .string(local.table), "columns": .object(columns),
            "tags_format": .string(local.tagsFormat.rawValue),
        ]
        if let key { localJSON["key"] = .string(key) }
        if let country = local.defaultCountry { localJSON["default_country"] = .string(country) }
        let json: JSON = [
            "local": .object(localJSON),
            "remote": [
                "provider": .string(configuration.remote.provider.rawValue),
                "base_url": .string(configuration.remote.baseURL),
                "org_id": JSON(configuration.remote.organizationID),
                "token_env": "SYNCD_TOKEN",
                "requests_per_minute": .int(configuration.remote.requestsPerMinute ?? 1_000_000),
                "max_wait_seconds": .double(configuration.remote.maximumWaitSeconds),
            ],
            "sync": [
                "state": .string(configuration.sync.state),
                "interval_seconds": .double(configuration.sync.intervalSeconds),
                "deletes": .string(configuration.sync.deletes.rawValue),
            ],
        ]
        try json.text.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Retries quickly: tests should not wait a real minute for a backoff.
    static let quickRetries = RetryPolicy(maximumAttempts: 8, initialBackoff: 0.02, maximumBackoff: 1.5)

    func engine() throws -> SyncEngine {
        SyncEngine(
            configuration: configuration,
            remote: try RemoteClients.make(configuration.remote, retry: Self.quickRetries))
    }

    @discardableResult
    func sync(_ options: SyncOptions = SyncOptions()) async throws -> SyncReport {
        try await engine().runOnce(options)
    }

    // MARK: - The CRM application

    static func now() -> String { SystemClock().now().iso8601(fractionalSeconds: true) }

    @discardableResult
    func insertLocal(
        _ phone: String, name: String? = nil, email: String? = nil, tags: [String] = [],
        attributes: [String: String] = [:], optIn: Int? = nil
    ) throws -> Int64 {
        try crm.run(
            "INSERT INTO customers (full_name, mobile, email, tags, extra, opt_in\(hasUpdatedAt ? ", updated_at" : "")) VALUES (?, ?, ?, ?, ?, ?\(hasUpdatedAt ? ", ?" : ""))",
            [
                DatabaseValue(name), .text(phone), DatabaseValue(email),
                tags.isEmpty ? .null : .text(JSON(tags).text),
                attributes.isEmpty ? .null : .text(JSON(attributes).text), DatabaseValue(optIn),
            ] + (hasUpdatedAt ? [.text(Self.now())] : []))
        return crm.lastInsertRowID
    }

    var hasUpdatedAt: Bool { configuration.local.columns.updatedAt != nil }

    /// Sets a column of the row with `phone`, and `updated_at` to `at` (default: now).
    func updateLocal(_ phone: String, _ column: String, _ value: DatabaseValue, at: Timestamp? = nil) throws {
        let stamp = (at ?? SystemClock().now()).iso8601(fractionalSeconds: true)
        let changed = try crm.run(
            "UPDATE customers SET \(column) = ?\(hasUpdatedAt ? ", updated_at = ?" : "") WHERE mobile = ?",
            [value] + (hasUpdatedAt ? [.text(stamp)] : []) + [.text(phone)])
        precondition(changed == 1, "no CRM row with \(phone)")
    }

    /// Moves the emulator's clock, which stamps the vendor's `updated_at`: a vendor edit made
    /// after this is that much newer (or older) than one made now, without waiting.
    func advanceVendorClock(seconds: Double) throws {
        try sim.control("POST", "/clock", json: ["advance_seconds": .double(seconds)])
    }

    /// Now, plus `seconds`.
    static func time(_ seconds: Double) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: SystemClock().now().millisecondsSinceEpoch + Int64(seconds * 1000))
    }

    /// The CRM application taking its lock (`IMMEDIATE` or `EXCLUSIVE`), running `sql`, and
    /// holding on for `seconds` before it commits. Returns once the lock is held; the answer
    /// ends when it is released. On a thread of its own: a connection waiting for SQLite's lock
    /// blocks its thread, and the holder must not wait behind one for its turn to commit.
    func holdLock(_ kind: String, running sql: String = "", seconds: Double) async throws
        -> AsyncThrowingStream<Void, any Error>
    {
        let path = crmPath
        let (locked, lockTaken) = AsyncThrowingStream.makeStream(of: Void.self)
        let (released, lockReleased) = AsyncThrowingStream.makeStream(of: Void.self)
        Thread.detachNewThread {
            do {
                let crm = try Database(path: path, options: .init(create: false, walMode: false))
                try crm.execute("BEGIN \(kind)")
                if !sql.isEmpty { try crm.execute(sql) }
                lockTaken.finish()
                Thread.sleep(forTimeInterval: seconds)
                try crm.execute("COMMIT")
                lockReleased.finish()
            } catch {
                lockTaken.finish(throwing: error)
                lockReleased.finish(throwing: error)
            }
        }
        for try await _ in locked {}
        return released
    }

    func deleteLocal(_ phone: String) throws {
        try crm.run("DELETE FROM customers WHERE mobile = ?", [.text(phone)])
    }

    /// CRM rows by normalized phone: name, email, tags, attributes, opt-in.
    func localRows() throws -> [String: (
        name: String?, email: String?, tags: [String], attributes: [String: String], optIn: Int?
    )] {
        var rows: [String: (String?, String?, [String], [String: String], Int?)] = [:]
        for row in try crm.query("SELECT mobile, full_name, email, tags, extra, opt_in FROM customers") {
            let phone =
                (try? PhoneNumber.normalize(row.string(0) ?? "", defaultCountry: "KE").e164)
                ?? (row.string(0) ?? "")
            precondition(rows[phone] == nil, "two CRM rows with \(phone)")
            let tags = row.string(3).flatMap { try? JSON.parse($0).array?.compactMap(\.string) } ?? []
            let attributes =
                row.string(4).flatMap { try? JSON.parse($0).object }.map {
                    Dictionary(
                        uniqueKeysWithValues: $0.compactMap { key, value in value.string.map { (key, $0) } })
                } ?? [:]
            rows[phone] = (row.string(1), row.string(2), tags.sorted(), attributes, row.int(5))
        }
        return rows
    }

    // MARK: - The vendor side

    /// Remote contacts by phone (canonical form from the control API); fails on duplicates.
    func remoteContacts() throws -> [String: JSON] {
        var contacts: [String: JSON] = [:]
        for contact in try sim.storedContacts() {
            let phone = contact["phone"]?.string ?? ""
            precondition(contacts[phone] == nil, "two remote contacts with \(phone)")
            contacts[phone] = contact
        }
        return contacts
    }

    func remoteID(_ phone: String) throws -> String {
        try remoteContacts()[phone]?["id"]?.string ?? ""
    }

    func editRemote(_ phone: String, _ fields: JSON) throws {
        try sim.control("PATCH", "/contacts/\(try remoteID(phone))", json: fields)
    }

    func writes() throws -> Int { try sim.stats()["writes"]?.int ?? -1 }

    func resetStats() throws { try sim.control("DELETE", "/stats") }

    /// Requests the emulator answered on `endpoint` ("GET /v1/contacts"), whatever the status.
    func requests(_ endpoint: String) throws -> Int {
        try sim.stats()["endpoints"]?[endpoint]?.object?.compactMap(\.value.int).reduce(0, +) ?? 0
    }

    func wait(seconds: Double) async throws {
        try await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
    }
}
