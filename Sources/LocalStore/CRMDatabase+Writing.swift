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
                var results: [LocalWriteResult] = []
                for write in writes {
                    try database.execute("SAVEPOINT syncd_row")
                    do {
                        results.append(try apply(write, now: now))
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

    private func apply(_ write: LocalWrite, now: Timestamp) throws -> LocalWriteResult {
        switch write {
        case .insert(let contact):
            var values = try mapping.changes(
                from: nil, to: contact, now: now, updatedAtIsNumeric: updatedAtIsNumeric)
            // A key SQLite does not assign (a TEXT key) gets a new UUID.
            let key = keyIsAssigned ? nil : UUID().uuidString.lowercased()
            if let key { values.insert((keyColumn, .text(key)), at: 0) }
            let columns = values.map { quoted($0.0) }.joined(separator: ", ")
            let marks = Array(repeating: "?", count: values.count).joined(separator: ", ")
            try database.run(
                "INSERT INTO \(quoted(settings.table)) (\(columns)) VALUES (\(marks))", values.map(\.1))
            return .inserted(key: key ?? String(database.lastInsertRowID))
        case .update(let key, let expected, let new):
            guard let current = try rows(keys: [key])[key], case .success(let contact) = current.contact,
                contact == expected
            else {
                return .skippedChanged
            }
            let values = try mapping.changes(
                from: contact, to: new, now: now, updatedAtIsNumeric: updatedAtIsNumeric)
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
