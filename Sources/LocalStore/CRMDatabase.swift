public import Configuration
import ContactModel
import Foundation
import SQLite

/// The user's CRM table, read and written through the column mapping, with every change the
/// CRM makes captured by triggers in the same transaction as the change.
///
/// The triggers append to `_syncd_outbox` in the CRM's own database (they run inside the CRM
/// application's connection, so they can reference nothing else). Each entry names its
/// origin: syncd's writes set a flag row in `_syncd_writer` inside their own transaction —
/// invisible to every other connection — so a syncd instance can tell its own writes (never
/// echoed back) from the CRM's and from another instance's. Each instance keeps its place in
/// `_syncd_consumers`; entries every instance has passed are pruned.
public final class CRMDatabase {
    /// How a row syncd inserts gets its key.
    enum NewRowKey {
        /// The rowid or its alias: SQLite picks it (and AUTOINCREMENT never hands one out twice).
        case assignedBySQLite
        /// A column of numbers: one more than the largest number in it.
        case nextInteger
        /// Any other column: a new UUID.
        case uuid
    }

    public let settings: LocalSettings
    public let consumer: String
    let database: Database
    let mapping: ColumnMapping
    /// The identifying column, or `rowid`.
    public let keyColumn: String
    /// How a row syncd inserts gets its key.
    let newRowKey: NewRowKey
    /// What the table's declaration says of the columns whose form syncd learns from the rows.
    let declared: CRMConventions.Declared
    /// The order rows were added in, as far as SQLite knows it (`rowid`, or the key).
    let insertionOrder: String
    private let table: String
    private var lastDataVersion: Int64 = -1

    /// Opens the CRM database and checks the table and every mapped column exist, before
    /// anything is written. `readOnly` for dry runs.
    public init(
        settings: LocalSettings, consumer: String, readOnly: Bool = false,
        busyTimeoutMilliseconds: Int32 = 5000
    ) throws(LocalStoreError) {
        guard FileManager.default.fileExists(atPath: settings.database) else {
            throw LocalStoreError(.configuration, "local.database: no database at \(settings.database)")
        }
        database = try Self.open(
            settings.database, readOnly: readOnly, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        self.settings = settings
        self.consumer = consumer
        table = settings.table
        let info: [Row]
        do {
            info = try database.query(
                "SELECT name, type, pk, \"notnull\", dflt_value FROM pragma_table_info(?)",
                [.text(settings.table)])
        } catch  where error.isBusy {
            throw LocalStoreError(
                .locked,
                "local.database: \(settings.database) stayed locked by another program: \(error.message)")
        } catch {
            // The file is there but cannot be used (a read-only mount, a full disk, an I/O
            // error, corruption): not a mistake in the config, so not EX_CONFIG.
            throw LocalStoreError(
                error.isReadOnly || error.isDiskFull ? .unwritable : .other,
                "local.database: cannot read \(settings.database): \(error.message) (SQLite code \(error.extendedCode))"
            )
        }
        guard !info.isEmpty else {
            let tables =
                (try? database.query(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_syncd\\_%' ESCAPE '\\' ORDER BY name"
                ).compactMap { $0.string(0) }) ?? []
            throw LocalStoreError(
                .configuration,
                "local.table: no table '\(settings.table)' in \(settings.database) (tables: \(tables.joined(separator: ", ")))"
            )
        }
        let kind = try? database.first(
            "SELECT type, sql FROM sqlite_master WHERE name = ? COLLATE NOCASE", [.text(settings.table)])
        if kind?.string(0) == "view"
            || kind?.string(1)?.uppercased().hasPrefix("CREATE VIRTUAL TABLE") == true
        {
            let what = kind?.string(0) == "view" ? "a view" : "a virtual table"
            throw LocalStoreError(
                .configuration,
                "local.table: '\(settings.table)' is \(what); syncd needs the table itself (its change capture cannot watch \(what))"
            )
        }
        let columns = Dictionary(
            info.map { ($0.string(0) ?? "", ($0.string(1) ?? "").uppercased()) },
            uniquingKeysWith: { first, _ in first })
        for (field, column) in settings.columns.byField {
            guard columns[column] != nil else {
                throw LocalStoreError(
                    .configuration,
                    "local.columns.\(field): no column '\(column)' in table '\(settings.table)' (columns: \(info.compactMap { $0.string(0) }.joined(separator: ", ")))"
                )
            }
        }
        keyColumn = try Self.keyColumn(settings: settings, info: info, database: database)
        let hasRowID = (try? database.query("SELECT rowid FROM \(quoted(table)) LIMIT 0")) != nil
        newRowKey = Self.newRowKey(
            keyColumn, table: table, type: columns[keyColumn] ?? "", info: info, hasRowID: hasRowID,
            database: database)
        insertionOrder = hasRowID ? "rowid" : quoted(keyColumn)
        let tags = settings.columns.tags.flatMap { name in info.first { $0.string(0) == name } }
        declared = CRMConventions.Declared(
            updatedAtType: settings.columns.updatedAt.flatMap { columns[$0] } ?? "",
            tagsDefault: tags?.string(4), tagsNotNull: tags?.int(3) == 1, tagsFormat: settings.tagsFormat)
        mapping = ColumnMapping(
            settings: settings, phoneIsNumeric: Self.hasNumericAffinity(columns[settings.columns.phone] ?? "")
        )
    }

    /// The column that identifies a row, checked: a row's key must name the same person for as
    /// long as the row lives, or syncd would attach one person's vendor contact to another.
    /// That holds for the table's primary key and for a UNIQUE NOT NULL column. `rowid` holds
    /// it only while nobody runs VACUUM on a table without an INTEGER PRIMARY KEY, so syncd
    /// uses it only when `local.key` names it.
    private static func keyColumn(settings: LocalSettings, info: [Row], database: Database)
        throws(LocalStoreError) -> String
    {
        let table = settings.table
        let primaryKey = info.filter { ($0.int(2) ?? 0) > 0 }.compactMap { $0.string(0) }
        let hasRowID = (try? database.query("SELECT rowid FROM \(quoted(table)) LIMIT 0")) != nil
        guard let key = settings.key else {
            if primaryKey.count == 1 { return primaryKey[0] }
            let what =
                primaryKey.isEmpty ? "has no primary key" : "has a primary key of \(primaryKey.count) columns"
            throw LocalStoreError(
                .configuration,
                "local.key: table '\(table)' \(what); name a UNIQUE NOT NULL column as local.key (or \"rowid\" if nothing ever runs VACUUM on this database: see the README)"
            )
        }
        if key.lowercased() == "rowid" {
            guard hasRowID else {
                throw LocalStoreError(
                    .configuration, "local.key: table '\(table)' is WITHOUT ROWID, so it has no rowid")
            }
            return "rowid"
        }
        guard let column = info.first(where: { $0.string(0) == key }) else {
            throw LocalStoreError(.configuration, "local.key: no column '\(key)' in table '\(table)'")
        }
        if primaryKey == [key] { return key }
        let unique =
            (try? database.query(
                """
                SELECT 1 FROM pragma_index_list(?) l WHERE l."unique" = 1 AND l.partial = 0
                    AND (SELECT count(*) FROM pragma_index_info(l.name)) = 1 AND (SELECT name FROM pragma_index_info(l.name)) = ?
                """, [.text(table), .text(key)]
            ).isEmpty == false) ?? false
        guard unique else {
            throw LocalStoreError(
                .configuration,
                "local.key: column '\(key)' of '\(table)' is not unique (it needs a PRIMARY KEY or UNIQUE constraint of its own)"
            )
        }
        guard (column.int(3) ?? 0) == 1 else {
            throw LocalStoreError(
                .configuration, "local.key: column '\(key)' of '\(table)' may be NULL (it needs NOT NULL)")
        }
        return key
    }

    /// How rows syncd inserts get their key. SQLite assigns the rowid and its alias (an
    /// INTEGER PRIMARY KEY that has no index of its own: `INTEGER PRIMARY KEY DESC` is not
    /// one); a column of numbers gets the next number; any other a UUID.
    private static func newRowKey(
        _ key: String, table: String, type: String, info: [Row], hasRowID: Bool, database: Database
    ) -> NewRowKey {
        if key.lowercased() == "rowid" { return .assignedBySQLite }
        let primaryKey = info.filter { ($0.int(2) ?? 0) > 0 }.compactMap { $0.string(0) }
        if hasRowID && type == "INTEGER" && primaryKey == [key] {
            let indexed =
                (try? database.first("SELECT 1 FROM pragma_index_list(?) WHERE origin = 'pk'", [.text(table)]))
                ?? nil
            if indexed == nil { return .assignedBySQLite }
        }
        return hasNumericAffinity(type) ? .nextInteger : .uuid
    }

    /// SQLite's type affinity rules: a declared type with INT, or none of CHAR/CLOB/TEXT/BLOB
    /// (REAL, NUMERIC, DECIMAL...), stores number-like text as a number.
    static func hasNumericAffinity(_ type: String) -> Bool {
        let type = type.uppercased()
        if type.contains("INT") { return true }
        if type.isEmpty || ["CHAR", "CLOB", "TEXT", "BLOB"].contains(where: type.contains) { return false }
        return true
    }

    /// Opens the CRM file as it is: its journal mode belongs to the CRM (a rollback journal
    /// keeps a copy of the `.sqlite` file a whole backup, and works on network filesystems,
    /// where WAL does not), so syncd never changes it. Writers take the lock with
    /// `BEGIN IMMEDIATE` and every call waits out the busy timeout, in either mode.
    private static func open(_ path: String, readOnly: Bool, busyTimeoutMilliseconds: Int32)
        throws(LocalStoreError) -> Database
    {
        var attempt = 0
        while true {
            do {
                return try Database(
                    path: path,
                    options: .init(
                        readOnly: readOnly, create: false, busyTimeoutMilliseconds: busyTimeoutMilliseconds,
                        walMode: false))
            } catch {
                let transient = error.isBusy || error.code == 10  // SQLITE_IOERR
                attempt += 1
                if transient && attempt < 10 {
                    usleep(100_000)
                    continue
                }
                throw LocalStoreError(
                    openFailureKind(error),
                    "local.database: cannot open \(path): \(error.message) (SQLite code \(error.extendedCode))"
                )
            }
        }
    }

    /// A file that cannot be written (read-only, disk full) or that stayed locked is not a
    /// config error: systemd should go on restarting a service that only needs disk space or
    /// the CRM to finish.
    private static func openFailureKind(_ error: DatabaseError) -> LocalStoreError.Kind {
        if error.isReadOnly || error.isDiskFull { return .unwritable }
        if error.isBusy { return .locked }
        return error.code == 26 ? .configuration : .other  // 26: not a database
    }

    var keySQL: String { keyColumn.lowercased() == "rowid" ? "rowid" : quoted(keyColumn) }
    private var selectSQL: String {
        "SELECT \(keySQL), " + mapping.selectedColumns.map(quoted).joined(separator: ", ")
            + " FROM \(quoted(table))"
    }

    // MARK: - Change capture

    private var triggerNames: [String] { ["insert", "update", "delete"].map { "_syncd_\(table)_\($0)" } }

    /// The CRM's journal mode (`wal`, `delete`, ...): the CRM's own choice, which syncd reads
    /// and never changes.
    public func journalMode() -> String {
        ((try? database.first("PRAGMA journal_mode"))??.string(0)) ?? "unknown"
    }

    /// Whether all three triggers are in place.
    public func captureIsInstalled() throws(LocalStoreError) -> Bool {
        do {
            let names = try database.query(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", [.text(table)]
            ).compactMap { $0.string(0) }
            let registered =
                try database.first(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_syncd_consumers'") != nil
                && (try database.first(
                    "SELECT 1 FROM _syncd_consumers WHERE consumer = ? AND tbl = ?",
                    [.text(consumer), .text(table)])) != nil
            // Triggers from before inserts were told from updates need replacing.
            let insertSQL =
                try database.first(
                    "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                    [.text(triggerNames[0])])?.string(0) ?? ""
            return registered && triggerNames.allSatisfy(names.contains) && insertSQL.contains("'insert'")
        } catch {
            throw LocalStoreError(.other, "reading the CRM schema: \(error)")
        }
    }

    /// Installs the outbox, the triggers and this consumer's place; returns `true` when
    /// anything was missing (so changes may have been missed: the caller scans the table).
    @discardableResult
    public func installCapture() throws(LocalStoreError) -> Bool {
        if try captureIsInstalled() { return false }
        let now = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"
        let origin = "(SELECT consumer FROM _syncd_writer LIMIT 1)"
        let name = table.replacingOccurrences(of: "'", with: "''")
        let insert = "INSERT INTO _syncd_outbox (tbl, row_key, op, origin, changed_at)"
        let newKey = keyColumn.lowercased() == "rowid" ? "NEW.rowid" : "NEW.\(quoted(keyColumn))"
        let oldKey = keyColumn.lowercased() == "rowid" ? "OLD.rowid" : "OLD.\(quoted(keyColumn))"
        let sql = """
            CREATE TABLE IF NOT EXISTS _syncd_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL,
                row_key TEXT NOT NULL, op TEXT NOT NULL, origin TEXT, changed_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS _syncd_writer (consumer TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS _syncd_consumers (consumer TEXT NOT NULL, tbl TEXT NOT NULL, last_seq INTEGER NOT NULL,
                seen_at TEXT NOT NULL, PRIMARY KEY (consumer, tbl));
            DROP TRIGGER IF EXISTS \(quoted(triggerNames[0]));
            DROP TRIGGER IF EXISTS \(quoted(triggerNames[1]));
            DROP TRIGGER IF EXISTS \(quoted(triggerNames[2]));
            CREATE TRIGGER \(quoted(triggerNames[0])) AFTER INSERT ON \(quoted(table)) WHEN \(newKey) IS NOT NULL BEGIN
                \(insert) VALUES ('\(name)', \(newKey), 'insert', \(origin), \(now));
            END;
            CREATE TRIGGER \(quoted(triggerNames[1])) AFTER UPDATE ON \(quoted(table)) BEGIN
                \(insert) SELECT '\(name)', \(newKey), 'update', \(origin), \(now) WHERE \(newKey) IS NOT NULL;
                \(insert) SELECT '\(name)', \(oldKey), 'delete', \(origin), \(now) WHERE \(oldKey) IS NOT NULL AND \(oldKey) IS NOT \(newKey);
            END;
            CREATE TRIGGER \(quoted(triggerNames[2])) AFTER DELETE ON \(quoted(table)) WHEN \(oldKey) IS NOT NULL BEGIN
                \(insert) VALUES ('\(name)', \(oldKey), 'delete', \(origin), \(now));
            END;
            """
        do {
            try database.transaction(.immediate) {
                try database.execute(sql)
                try database.run(
                    """
                    INSERT INTO _syncd_consumers (consumer, tbl, last_seq, seen_at)
                    VALUES (?, ?, (SELECT coalesce(max(seq), 0) FROM _syncd_outbox), \(now))
                    ON CONFLICT (consumer, tbl) DO UPDATE SET seen_at = excluded.seen_at
                    """, [.text(consumer), .text(table)])
            }
        } catch {
            throw Self.writeError("installing change capture in \(settings.database)", error)
        }
        return true
    }

    /// The newest captured change, to bound a cycle's work.
    public func latestSequence() throws(LocalStoreError) -> Int64 {
        do {
            return try database.first("SELECT coalesce(max(seq), 0) FROM _syncd_outbox")?.int64(0) ?? 0
        } catch {
            return 0  // no outbox yet (a dry run before the first real one)
        }
    }

    /// Where this consumer stopped reading.
    public func acknowledgedSequence() throws(LocalStoreError) -> Int64 {
        do {
            return try database.first(
                "SELECT last_seq FROM _syncd_consumers WHERE consumer = ? AND tbl = ?",
                [.text(consumer), .text(table)])?.int64(0) ?? 0
        } catch {
            return 0
        }
    }

    /// Captured changes in `(after, upTo]`, one a key (the newest), in order. A key that was
    /// inserted in that span (after a delete, or by INSERT OR REPLACE) is marked `replaced`:
    /// the row under it may be somebody else now.
    /// `skippingOwn`: leave out this consumer's own writes, in SQL (a pull of 100,000
    /// contacts leaves 100,000 of them), when they are all known to be in its row index.
    public func changes(after: Int64, upTo: Int64, skippingOwn: Bool = false) throws(LocalStoreError)
        -> [CapturedChange]
    {
        do {
            var latest: [String: CapturedChange] = [:]
            try database.forEachRow(
                """
                SELECT seq, row_key, op, changed_at FROM _syncd_outbox
                WHERE tbl = ? AND seq > ? AND seq <= ? AND (? = 0 OR origin IS NULL OR origin != ?) ORDER BY seq
                """,
                [
                    .text(table), .integer(after), .integer(upTo), .integer(skippingOwn ? 1 : 0),
                    .text(consumer),
                ]
            ) { row in
                let key = row.string(1) ?? ""
                let replaced = row.string(2) == "insert" || latest[key]?.replaced == true
                latest[key] = CapturedChange(
                    sequence: row.int64(0) ?? 0, key: key, deleted: row.string(2) == "delete",
                    replaced: replaced,
                    capturedAt: row.string(3).flatMap(Timestamp.init(iso8601:)))
            }
            return latest.values.sorted { $0.sequence < $1.sequence }
        } catch {
            throw LocalStoreError(.other, "reading captured changes: \(error)")
        }
    }

    /// Whether the CRM (or another syncd) changed the table since this consumer's last
    /// cycle. Cheap enough to ask twice a second: `PRAGMA data_version` answers without
    /// touching the outbox unless some other connection has committed since the last ask.
    public func hasPendingChanges() -> Bool {
        guard let version = (try? database.first("PRAGMA data_version"))??.int64(0) else { return false }
        if version == lastDataVersion { return false }
        lastDataVersion = version
        do {
            return try database.first(
                """
                SELECT 1 FROM _syncd_outbox o JOIN _syncd_consumers c ON c.consumer = ? AND c.tbl = o.tbl
                WHERE o.tbl = ? AND o.seq > c.last_seq AND (o.origin IS NULL OR o.origin != ?) LIMIT 1
                """, [.text(consumer), .text(table), .text(consumer)]) != nil
        } catch {
            return true  // an unanswered question (no outbox yet) counts as "look": the cycle will tell
        }
    }

    /// How many captured changes (not syncd's own) wait for this consumer's next cycle.
    public func pendingChangeCount() -> Int {
        ((try? database.first(
            """
            SELECT count(DISTINCT o.row_key) FROM _syncd_outbox o JOIN _syncd_consumers c ON c.consumer = ? AND c.tbl = o.tbl
            WHERE o.tbl = ? AND o.seq > c.last_seq AND (o.origin IS NULL OR o.origin != ?)
            """, [.text(consumer), .text(table), .text(consumer)])) ?? nil)?.int(0) ?? 0
    }

    /// Records that this consumer has handled everything up to `sequence`, and prunes what
    /// every consumer has handled.
    public func acknowledge(upTo sequence: Int64) throws(LocalStoreError) {
        do {
            try database.transaction(.immediate) {
                try database.run(
                    "UPDATE _syncd_consumers SET last_seq = max(last_seq, ?), seen_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE consumer = ? AND tbl = ?",
                    [.integer(sequence), .text(consumer), .text(table)])
                // A consumer unseen for 30 days (a removed config) no longer holds entries back.
                try database.run(
                    "DELETE FROM _syncd_consumers WHERE seen_at < strftime('%Y-%m-%dT%H:%M:%fZ','now','-30 days')"
                )
                try database.run(
                    "DELETE FROM _syncd_outbox WHERE seq <= (SELECT coalesce(min(last_seq), 0) FROM _syncd_consumers)"
                )
            }
        } catch {
            throw Self.writeError("recording progress in \(settings.database)", error)
        }
    }

    // MARK: - Reading rows

    /// Calls `body` with every row of the table that has a key (rows without one cannot be
    /// told apart, so they are never synced; `rowsWithoutKey()` counts them).
    public func scan(_ body: (LocalRow) throws -> Void) throws(LocalStoreError) {
        do {
            try database.forEachRow("\(selectSQL) WHERE \(keySQL) IS NOT NULL") { try body(mapping.read($0)) }
        } catch {
            throw LocalStoreError(.other, "reading \(table): \(error)")
        }
    }

    /// The rows with these keys (missing keys are absent from the answer).
    public func rows(keys: [String]) throws(LocalStoreError) -> [String: LocalRow] {
        var rows: [String: LocalRow] = [:]
        do {
            for chunk in stride(from: 0, to: keys.count, by: 500) {
                let part = Array(keys[chunk..<min(keys.count, chunk + 500)])
                let placeholders = Array(repeating: "?", count: part.count).joined(separator: ",")
                try database.forEachRow(
                    "\(selectSQL) WHERE \(keySQL) IN (\(placeholders))", part.map { DatabaseValue.text($0) }
                ) { row in
                    let local = mapping.read(row)
                    rows[local.key] = local
                }
            }
        } catch {
            throw LocalStoreError(.other, "reading \(table): \(error)")
        }
        return rows
    }

    /// How many rows with a key the table holds.
    public func count() throws(LocalStoreError) -> Int {
        do {
            return try database.first("SELECT count(*) FROM \(quoted(table)) WHERE \(keySQL) IS NOT NULL")?
                .int(0) ?? 0
        } catch {
            throw LocalStoreError(.other, "counting \(table): \(error)")
        }
    }

    /// How many rows have a NULL key: syncd cannot tell them apart, so it skips them.
    public func rowsWithoutKey() -> Int {
        guard keySQL != "rowid" else { return 0 }
        return
            ((try? database.first("SELECT count(*) FROM \(quoted(table)) WHERE \(keySQL) IS NULL")) ?? nil)?
            .int(0) ?? 0
    }
}
