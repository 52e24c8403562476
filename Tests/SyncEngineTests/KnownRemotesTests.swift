import Testing

@testable import SyncEngine

/// The table a listing finds linked contacts in, by the bytes of their ids.
@Suite struct KnownRemotesTests {
    func table(_ ids: [String]) -> KnownRemotes {
        var table = KnownRemotes()
        for (index, id) in ids.enumerated() {
            var id = id
            id.withUTF8 {
                table.add(
                    id: UnsafeRawBufferPointer($0), linkID: Int64(index), hash: Int64(index) * 7,
                    updatedAt: nil,
                    listedItem: index.isMultiple(of: 2) ? Int64(index) : nil)
            }
        }
        return table
    }

    @Test func findsEveryLinkedIdAndNoOther() {
        let ids = (0..<20_000).map { "con_\($0)" }
        var known = table(ids)
        let sealed = known.seal()
        #expect(sealed)
        for (index, id) in ids.enumerated() {
            guard let found = known.index(of: id) else {
                Issue.record("\(id) not found")
                return
            }
            #expect(known[found].linkID == Int64(index) && known[found].hash == Int64(index) * 7)
            #expect(known[found].listedItem == (index.isMultiple(of: 2) ? Int64(index) : nil))
        }
        #expect((20_000..<25_000).allSatisfy { known.index(of: "con_\($0)") == nil })
        #expect(known.index(of: "") == nil)
        // Looked up a page at a time: the same answers.
        let page = ["con_7", "nobody", "con_19999", "con_0", "con_7"]
        let keys = page.map { Optional(KnownRemotes.key($0)) } + [nil]
        #expect(known.indices(of: keys) == page.map { known.index(of: $0) } + [nil])
    }

    @Test func anIdLinkedTwiceMakesTheTableUntrustworthy() {
        var known = table(["a", "b", "c", "b"])
        let sealed = known.seal()
        #expect(!sealed)
        var empty = KnownRemotes()
        let emptySealed = empty.seal()
        #expect(emptySealed)
        #expect(empty.index(of: "a") == nil)
    }
}
