import Foundation
import Testing

@testable import SQLite

@Suite struct DatabaseTests {
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "sqlite-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    @Test func storesAndReadsEveryStorageClass() throws {
        let database = try Database(path: directory + "/a.sqlite")
        try database.execute("CREATE TABLE t (a, b, c, d, e)")
        try database.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [nil, 42, 1.5, "héllo", .blob([0, 1, 2])])
        let row = try #require(try database.first("SELECT a, b, c, d, e FROM t"))
        #expect(row.values == [.null, .integer(42), .real(1.5), .text("héllo"), .blob([0, 1, 2])])
    }

    @Test func readsTextWithAnEmbeddedNUL() throws {
        let database = try Database(path: directory + "/nul.sqlite")
        try database.execute("CREATE TABLE t (v TEXT)")
        try database.run("INSERT INTO t VALUES (?)", [.text("before\u{0}after")])
        #expect(try database.first("SELECT v FROM t")?.string(0) == "before\u{0}after")
    }

    @Test func rollsBackWhenTheBodyThrows() throws {
        let database = try Database(path: directory + "/tx.sqlite")
        try database.execute("CREATE TABLE t (v INTEGER)")
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try database.transaction {
                try database.run("INSERT INTO t VALUES (1)")
                throw Stop()
            }
        }
        #expect(try database.first("SELECT count(*) FROM t")?.int(0) == 0)
        #expect(!database.isInTransaction)
    }

    @Test func reportsExtendedCodesWithoutArguments() throws {
        let database = try Database(path: directory + "/unique.sqlite")
        try database.execute("CREATE TABLE t (v TEXT UNIQUE)")
        try database.run("INSERT INTO t VALUES (?)", ["+254700000000"])
        do {
            try database.run("INSERT INTO t VALUES (?)", ["+254700000000"])
            Issue.record("a duplicate was accepted")
        } catch {
            #expect(error.isUniqueViolation)
            #expect(error.extendedCode == 2067)
            #expect(!error.description.contains("+254700000000"))
        }
    }

    @Test func aSecondWriterWaitsForTheBusyTimeoutThenFails() throws {
        let path = directory + "/busy.sqlite"
        let first = try Database(path: path)
        try first.execute("CREATE TABLE t (v INTEGER)")
        let second = try Database(path: path, options: .init(busyTimeoutMilliseconds: 100))
        try first.execute("BEGIN IMMEDIATE")
        let started = Date()
        #expect { try second.transaction { try second.run("INSERT INTO t VALUES (1)") } } throws: { error in
            (error as? DatabaseError)?.isBusy == true
        }
        #expect(Date().timeIntervalSince(started) >= 0.09)
        try first.execute("COMMIT")
        try second.transaction { try second.run("INSERT INTO t VALUES (1)") }
        #expect(try first.first("SELECT count(*) FROM t")?.int(0) == 1)
    }

    @Test func refusesWritesOnAReadOnlyConnection() throws {
        let path = directory + "/ro.sqlite"
        try Database(path: path).execute("CREATE TABLE t (v INTEGER)")
        let readOnly = try Database(path: path, options: .init(readOnly: true))
        #expect { try readOnly.run("INSERT INTO t VALUES (1)") } throws: {
            ($0 as? DatabaseError)?.isReadOnly == true
        }
    }

    @Test func namesTheFileItCannotOpen() {
        #expect { try Database(path: directory + "/missing/dir/x.sqlite") } throws: {
            "\($0)".contains("missing/dir/x.sqlite")
        }
    }

    @Test func streamsRowsAndRejectsWrongArgumentCounts() throws {
        let database = try Database(path: directory + "/stream.sqlite")
        try database.execute("CREATE TABLE t (v INTEGER)")
        try database.transaction {
            for value in 0..<1000 { try database.run("INSERT INTO t VALUES (?)", [.integer(Int64(value))]) }
        }
        var sum = 0
        try database.forEachRow("SELECT v FROM t") { sum += $0.int(0) ?? 0 }
        #expect(sum == 499_500)
        #expect(throws: DatabaseError.self) { try database.run("INSERT INTO t VALUES (?)", []) }
    }
}
