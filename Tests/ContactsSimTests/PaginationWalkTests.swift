import ContactsSim
import JSON
import TestSupport
import Testing

/// Walks a few thousand contacts page by page, as a sync client would, and checks that every
/// contact is seen exactly once.
@Suite struct PaginationWalkTests {
    @Test func waplyPagesUntilTheTotalIsReached() throws {
        let sim = try SimHarness(.waply)
        try sim.seed(3000)
        let client = try sim.client()
        var ids: [String] = []
        var page = 1
        while true {
            let body = try client.request(
                "GET", "/v1/contacts?page=\(page)&limit=100", headers: sim.authHeaders
            ).json
            let data = body["data"]?.array ?? []
            ids += data.compactMap { $0["id"]?.string }
            if data.isEmpty || page * 100 >= body["total"]?.int ?? 0 { break }
            page += 1
        }
        #expect(page == 30)
        #expect(ids.count == 3000)
        #expect(Set(ids) == Set(try sim.storedContacts().compactMap { $0["id"]?.string }))
    }

    @Test func superWabaPagesUntilHasNextIsFalse() throws {
        let sim = try SimHarness(.superwaba)
        try sim.seed(2500)
        let client = try sim.client()
        var ids: [String] = []
        var page = 1
        while true {
            let data = try client.request(
                "GET", "/api/whatsapp/contacts?page=\(page)&limit=100&sortBy=created_at&sortOrder=asc",
                headers: sim.authHeaders
            ).json["data"]
            ids += data?["contacts"]?.array?.compactMap { $0["id"]?.string } ?? []
            guard data?["hasNext"] == true else { break }
            page += 1
        }
        #expect(ids.count == 2500)
        #expect(Set(ids).count == 2500)
    }

    @Test func qlaraPagesFromZeroToTotalPages() throws {
        let sim = try SimHarness(.qlara)
        try sim.seed(2345)
        let client = try sim.client()
        var ids: [Int] = []
        var page = 0
        var totalPages = 1
        while page < totalPages {
            let body = try client.request(
                "GET", "/api/partner-gateway/v1/contacts?page=\(page)&limit=1000&sortBy=id",
                headers: sim.authHeaders
            ).json
            totalPages = body["totalPages"]?.int ?? 0
            ids += body["content"]?.array?.compactMap { $0["id"]?.int } ?? []
            page += 1
        }
        #expect(totalPages == 3)
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == 2345)
    }
}
