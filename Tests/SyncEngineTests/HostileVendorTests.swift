import Configuration
import ContactModel
import ContactsSim
import Foundation
import JSON
import RemoteAPI
import SyncEngine
import TestSupport
import Testing
import Vendors

/// A vendor that answers what no vendor documents: ids that read as paths, totals that lie,
/// answers that trickle in, absurd waits. syncd stays inside the API's base path, ends every
/// request in time, and stops a cycle it cannot trust.
@Suite struct HostileVendorTests {
    /// A Waply listing item.
    static func waplyItem(id: String, phone: String, name: String = "Someone") -> JSON {
        [
            "id": .string(id), "name": .string(name), "phone": .string(phone), "email": nil, "tags": [],
            "custom_fields": [:], "lifecycle_stage": "lead", "created_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-01-01T00:00:00Z",
        ]
    }

    /// A Waply that lists `items` on its first page and nothing after; anything else is 404.
    static func waply(listing items: [JSON]) throws -> HostileVendor {
        try HostileVendor { request in
            guard request.method == "GET", request.path == "/v1/contacts" else {
                return HostileVendor.json(404, ["error": ["code": "not_found", "message": "no"]])
            }
            let page = Int(request.query("page") ?? "1") ?? 1
            return HostileVendor.json(
                200, ["data": .array(page == 1 ? items : []), "total": .int(items.count), "page": .int(page)])
        }
    }

    // MARK: - Vendor data never becomes a path

    @Test(arguments: [Dialect.waply, .sendystack, .superwaba, .qlara])
    func anIdFromTheVendorIsOnePathSegmentInEveryClient(_ dialect: Dialect) async throws {
        let vendor = try HostileVendor { _ in
            HostileVendor.json(404, ["error": ["code": "not_found", "message": "no"]])
        }
        let fixture = try SyncFixture(dialect)
        fixture.configuration.remote.baseURL = vendor.baseURL(dialect.basePath)
        let remote = try RemoteClients.make(fixture.configuration.remote, retry: SyncFixture.quickRetries)
        let phone = PhoneNumber(e164: "+254712345678")!
        for id in ["../../admin/wipe", "..", "a?b#c", "%2e%2e"] {
            _ = try? await remote.update(
                id: id, from: Contact(phone: phone, name: "Old"), to: Contact(phone: phone, name: "New"),
                key: "k")
        }
        let targets = vendor.requests.filter { $0.method == "PUT" || $0.method == "PATCH" }.map(\.target)
        #expect(targets.count == 4, "\(targets)")
        for target in targets {
            #expect(target.hasPrefix(dialect.basePath + "/"), "\(target)")
            #expect(
                !target.contains("/../") && !target.hasSuffix("/..") && !target.contains("?"), "\(target)")
            #expect(!target.contains("admin/wipe"), "\(target)")
        }
        #expect(targets[0].hasSuffix("/..%2F..%2Fadmin%2Fwipe"), "\(targets[0])")
        #expect(targets[1].hasSuffix("/%2E%2E"), "\(targets[1])")
        #expect(targets[2].hasSuffix("/a%3Fb%23c"), "\(targets[2])")
        #expect(targets[3].hasSuffix("/%252e%252e"), "\(targets[3])")
    }

    @Test(arguments: [
        "", "../../admin/wipe", "a/b", "tab\there", "nul\u{0}", String(repeating: "x", count: 257),
    ])
    func aListedContactWhoseIdCannotBeAnIdIsReportedAndSkipped(_ id: String) async throws {
        let vendor = try Self.waply(listing: [
            Self.waplyItem(id: "good-1", phone: "+254712345678", name: "Good"),
            Self.waplyItem(id: id, phone: "+254712345679", name: "Hostile"),
        ])
        let fixture = try SyncFixture()
        try fixture.insertLocal("+254712345679", name: "In the CRM")
        fixture.configuration.remote.baseURL = vendor.baseURL("/v1")
        let report = try? await fixture.sync()
        #expect(report != nil)
        #expect(report?.skipped.values.reduce(0, +) == 1, "\(report?.notes ?? [])")
        #expect(
            report?.notes.contains { $0.contains("skipped") && $0.contains("id") } == true,
            "\(report?.notes ?? [])")
        let rows = try fixture.localRows()
        #expect(rows["+254712345678"]?.name == "Good")
        #expect(rows["+254712345679"]?.name == "In the CRM", "never linked to the hostile item")
        for request in vendor.requests {
            #expect(request.path.hasPrefix("/v1/contacts"), "\(request.method) \(request.target)")
            #expect(
                request.method != "PUT" && request.method != "DELETE", "\(request.method) \(request.target)")
        }
    }

    @Test(arguments: [Dialect.sendystack, .superwaba])
    func aBulkCreateAnsweredWithAnIdThatCannotBeOneIsNotLinked(_ dialect: Dialect) async throws {
        let ids = ["", "../../admin/wipe"]
        let phones = ["+254712345678", "+254712345679"]
        let vendor = try HostileVendor { _ in
            dialect == .sendystack
                ? HostileVendor.json(
                    200,
                    [
                        "created": 2, "updated": 0, "failed": 0,
                        "results": .array(
                            ids.indices.map {
                                ["index": .int($0), "status": "created", "id": .string(ids[$0])]
                            }),
                    ])
                : HostileVendor.json(
                    200,
                    [
                        "success": true,
                        "data": [
                            "created": 2, "skipped": 0, "errors": [],
                            "contacts": .array(
                                ids.indices.map { ["id": .string(ids[$0]), "phone": .string(phones[$0])] }),
                        ],
                    ])
        }
        let fixture = try SyncFixture(dialect)
        fixture.configuration.remote.baseURL = vendor.baseURL(dialect.basePath)
        let remote = try RemoteClients.make(fixture.configuration.remote, retry: SyncFixture.quickRetries)
        let results = try await remote.createBatch(
            phones.map { Contact(phone: PhoneNumber(e164: $0)!, name: "New") }, key: "k")
        #expect(results.count == 2)
        for result in results {
            guard case .failure = result else {
                Issue.record("an id that cannot be one was taken: \(result)")
                continue
            }
        }
        vendor.stop()
    }

    // MARK: - Every request ends in time

    @Test func anAnswerThatTricklesInEndsAtTheTimeout() async throws {
        let vendor = try HostileVendor { _ in
            var pieces: [HostileVendor.Piece] = [
                .bytes(HostileVendor.head(200, headers: ["Content-Type": "application/json"], length: 60))
            ]
            for _ in 0..<150 { pieces += [.pause(seconds: 0.2), .bytes([0x20])] }
            return pieces
        }
        let transport = URLSessionTransport(maximumConnections: 1, timeout: 1)
        let request = RemoteRequest(method: "GET", url: URL(string: vendor.baseURL("/v1/contacts?page=1"))!)
        let started = ContinuousClock.now
        var failure: TransportError?
        do {
            _ = try await transport.send(request, timeout: 1)
        } catch {
            failure = error
        }
        let took = ContinuousClock.now - started
        #expect(failure != nil, "an answer that would take 30 s ends at the 1 s deadline")
        // Seconds late on a machine the whole suite keeps busy, never the 30 s.
        #expect(took < .seconds(15), "\(took)")
        #expect("\(failure.map { "\($0)" } ?? "")".contains("GET /v1/contacts"))
        vendor.stop()
    }

    // MARK: - A listing that lies

    @Test func aListingWhoseTotalKeepsPromisingTheSamePageIsNotTrusted() async throws {
        let item = Self.waplyItem(id: "same", phone: "+254712345678")
        let vendor = try HostileVendor { request in
            HostileVendor.json(
                200,
                [
                    "data": [item], "total": .int(1_000_000_000_000_000),
                    "page": .int(Int(request.query("page") ?? "1") ?? 1),
                ])
        }
        let fixture = try SyncFixture()
        fixture.configuration.remote.baseURL = vendor.baseURL("/v1")
        fixture.configuration.remote.concurrency = 4
        await #expect { try await fixture.sync() } throws: { error in
            (error as? SyncError)?.kind == .listing && "\(error)".contains("repeat")
        }
        #expect(
            vendor.requests.count < 50, "stopped once the listing repeated itself: \(vendor.requests.count)")
        vendor.stop()
    }

    @Test func aListingWhoseHasNextNeverEndsIsNotTrusted() async throws {
        let item: JSON = [
            "id": "contact_same", "name": "Same", "phone": "+254712345678", "countryCode": "KE",
            "optedIn": false, "isBlocked": false, "tags": [], "createdAt": "2024-01-01T00:00:00.000Z",
            "updatedAt": "2024-01-01T00:00:00.000Z",
        ]
        let vendor = try HostileVendor { request in
            HostileVendor.json(
                200,
                [
                    "success": true,
                    "data": [
                        "contacts": [item], "hasNext": true,
                        "page": .int(Int(request.query("page") ?? "1") ?? 1), "limit": 100,
                    ],
                ])
        }
        let fixture = try SyncFixture(.superwaba)
        fixture.configuration.remote.baseURL = vendor.baseURL()
        await #expect { try await fixture.sync() } throws: { error in
            (error as? SyncError)?.kind == .listing && "\(error)".contains("repeat")
        }
        #expect(vendor.requests.count < 50, "\(vendor.requests.count)")
        vendor.stop()
    }

    // MARK: - Waits the cycle cannot afford

    @Test func aRetryAfterLongerThanTheCycleMayWaitDefersAtOnce() async throws {
        let vendor = try HostileVendor { _ in
            HostileVendor.json(
                429, ["error": ["code": "rate_limited", "message": "slow down"]],
                headers: ["Retry-After": "99999999"])
        }
        let fixture = try SyncFixture()
        fixture.configuration.remote.baseURL = vendor.baseURL("/v1")
        fixture.configuration.remote.maximumWaitSeconds = 10
        let started = ContinuousClock.now
        await #expect { try await fixture.sync() } throws: { error in
            (error as? SyncError)?.kind == .deferred
        }
        #expect(vendor.requests.count == 1, "no backoff: \(vendor.requests.count) requests")
        #expect(ContinuousClock.now - started < .seconds(20))
        vendor.stop()
    }

    // MARK: - Errors name the request

    @Test func aLostAnswerNamesTheMethodAndPath() async throws {
        let vendor = try HostileVendor { _ in [.hangUp] }
        let fixture = try SyncFixture()
        fixture.configuration.remote.baseURL = vendor.baseURL("/v1")
        let remote = try RemoteClients.make(fixture.configuration.remote, retry: SyncFixture.quickRetries)
        let request = RemoteRequest(
            method: "POST", url: URL(string: vendor.baseURL("/v1/contacts"))!, body: Array("{}".utf8))
        await #expect { try await remote.executor.send(request, repeatable: .no) } throws: { error in
            let text = "\(error)"
            return text.contains("outcome unknown: POST /v1/contacts") && !text.contains("http://")
        }
        vendor.stop()
    }
}
