import Configuration
public import ContactModel
import Foundation
import SQLite

/// A change syncd makes to the CRM table.
public enum LocalWrite: Sendable, Equatable {
    case insert(Contact)
    /// `expected` is the row as the planner saw it; the write is skipped if the CRM changed
    /// the row since.
    case update(key: String, expected: Contact, new: Contact)
    case delete(key: String, expected: Contact?)
}

/// What became of a `LocalWrite`.
public enum LocalWriteResult: Sendable, Equatable {
    case inserted(key: String)
    case updated
    case deleted
    /// The row changed (or vanished) after it was read; its own captured change will come
    /// round in the next cycle.
    case skippedChanged
    /// The CRM refused the row (a CHECK, NOT NULL or UNIQUE constraint, a trigger), or the
    /// value cannot be stored as configured; nothing of it was written.
    case refused(String)
}

extension CRMDatabase {
    /// Applies a batch in one transaction, flagged as this consumer's own writes so the
    /// triggers' entries are never pushed back to the vendor. Each write has a savepoint of
    /// its own: a row the CRM's constraints refuse costs that row, not the batch.
    public func apply(_ writes: [LocalWrite], now: Timestamp) throws(LocalStoreError) -> [LocalWriteResult] {
        guard !writes.isEmpty else { return [] }
        do {
            return try database.transaction(.immediate) {
                try database.run("INSERT INTO _syncd_writer (consumer) VALUES (?)", [.text(consumer)])
                defer { _ = try? database.run("DELETE FROM _syncd_writer") }
                let conventions = try learnConventions()
                var results: [LocalWriteResult] = []
                for write in writes {
                    try database.execute("SAVEPOINT syncd_row")
                    do {
                        results.append(try apply(write, now: now, conventions: conventions))
                        try database.execute("RELEASE syncd_row")
                    } catch let error as DatabaseError where error.isConstraintViolation {
                        try database.execute("ROLLBACK TO syncd_row; RELEASE syncd_row")
                        results.append(.refused(error.message))
                    } catch let problem as LocalRowProblem {
                        try database.execute("ROLLBACK TO syncd_row; RELEASE syncd_row")
                        results.append(.refused(problem.reason))
                    }
                }
                try database.run("DELETE FROM _syncd_writer")
                return results
            }
        } catch let error as LocalStoreError {
            throw error
        } catch {
            throw Self.writeError("writing to \(settings.table) in \(settings.database)", error)
        }
    }

    private func apply(_ write: LocalWrite, now: Timestamp, conventions: CRMConventions) throws
        -> LocalWriteResult
    {
        switch write {
        case .insert(let contact):
            var values = try mapping.changes(from: nil, to: contact, now: now, conventions: conventions)
            let key: DatabaseValue?
            switch newRowKey {
            case .assignedBySQLite: key = nil
            case .nextInteger: key = .integer(try nextIntegerKey())
            case .uuid: key = .text(UUID().uuidString.lowercased())
            }
            if let key { values.insert((keyColumn, key), at: 0) }
            let columns = values.map { quoted($0.0) }.joined(separator: ", ")
            let marks = Array(repeating: "?", count: values.count).joined(separator: ", ")
            try database.run(
                "INSERT INTO \(quoted(settings.table)) (\(columns)) VALUES (\(marks))", values.map(\.1))
            guard let key else { return .inserted(key: String(database.lastInsertRowID)) }
            // The key as the column holds it (a REAL column keeps 7 as 7.0), as reads will see it.
            let stored = try database.first(
                "SELECT \(keySQL) FROM \(quoted(settings.table)) WHERE \(keySQL) = ?", [key])?.string(0)
            return .inserted(key: stored ?? key.string ?? "")
        case .update(let key, let expected, let new):
            guard let current = try rows(keys: [key])[key], case .success(let contact) = current.contact,
                contact == expected
            else {
                return .skippedChanged
            }
            let values = try mapping.changes(from: contact, to: new, now: now, conventions: conventions)
            guard !values.isEmpty else { return .updated }
            let assignments = values.map { "\(quoted($0.0)) = ?" }.joined(separator: ", ")
            try database.run(
                "UPDATE \(quoted(settings.table)) SET \(assignments) WHERE \(keySQL) = ?",
                values.map(\.1) + [.text(key)])
            return .updated
        case .delete(let key, let expected):
            guard let current = try rows(keys: [key])[key] else { return .deleted }
            if let expected, case .success(let contact) = current.contact, contact != expected {
                return .skippedChanged
            }
            try database.run("DELETE FROM \(quoted(settings.table)) WHERE \(keySQL) = ?", [.text(key)])
            return .deleted
        }
    }

    /// One more than the largest number in the key column, for a row syncd inserts into a
    /// table whose key SQLite does not assign: the CRM's own rows are numbered, so syncd's are
    /// too. Inside the write transaction, so no other program can take the same number.
    private func nextIntegerKey() throws -> Int64 {
        // Numbers sort before text in SQLite, so `< ''` walks the key's index from its largest
        // number, past any text a key column may hold.
        let largest = try database.first(
            "SELECT \(keySQL) FROM \(quoted(settings.table)) WHERE \(keySQL) < '' ORDER BY \(keySQL) DESC LIMIT 1"
        )?[0]
        switch largest {
        case nil, .null?: return 1
        case .integer(let number)? where number < Int64.max: return max(number, 0) + 1
        case .real(let number)? where number < 9.0e18: return max(Int64(number.rounded(.down)), 0) + 1
        default:
            throw LocalRowProblem(
                .unreadable,
                "no number is left for the new row's key '\(keyColumn)' after \(largest?.string ?? "")",
                rawPhone: nil)
        }
    }

    /// How the CRM writes its times and no tags, from the 500 oldest and 500 newest rows
    /// (the oldest most likely written by the CRM before syncd came).
    func learnConventions() throws -> CRMConventions {
        let columns = [settings.columns.updatedAt, settings.columns.tags]
        guard columns.contains(where: { $0 != nil }) else {
            return CRMConventions(updatedAt: nil, noTags: declared.noTags)
        }
        let selected = columns.map { $0.map(quoted) ?? "NULL" }.joined(separator: ", ")
        let rows = "FROM \(quoted(settings.table)) ORDER BY \(insertionOrder)"
        var times: [DatabaseValue] = []
        var tags: [DatabaseValue] = []
        try database.forEachRow(
            """
            SELECT * FROM (SELECT \(selected) \(rows) LIMIT 500)
            UNION ALL SELECT * FROM (SELECT \(selected) \(rows) DESC LIMIT 500)
            """
        ) { row in
            if !row.isNull(0) { times.append(row[0]) }
            tags.append(row[1])
        }
        return CRMConventions.learned(
            updatedAt: settings.columns.updatedAt == nil ? nil : times,
            tags: settings.columns.tags == nil ? nil : tags, declared: declared,
            tagsFormat: settings.tagsFormat)
    }

    /// Says plainly why a write failed, and that nothing was half-written.
    static func writeError(_ what: String, _ error: any Error) -> LocalStoreError {
        guard let error = error as? DatabaseError else { return LocalStoreError(.other, "\(what): \(error)") }
        if error.isReadOnly {
            return LocalStoreError(.unwritable, "\(what): the database is read-only (nothing was written)")
        }
        if error.isDiskFull {
            return LocalStoreError(.unwritable, "\(what): the disk is full (nothing was written)")
        }
        if error.isBusy {
            return LocalStoreError(
                .locked, "\(what): the database stayed locked by another program (nothing was written)")
        }
        return LocalStoreError(.other, "\(what): \(error.message)")
    }
}
