import Testing

@testable import ContactModel

/// Hashes syncd stores and compares in a later run: the same in every process, and telling
/// a changed byte apart wherever it is.
@Suite struct StableHashTests {
    func block(_ bytes: [UInt8]) -> Int64 { bytes.withUnsafeBytes(StableHash.ofBlock) }

    @Test func theSameBytesGiveTheSameFingerprintInEveryRun() {
        // Pinned: a state file written by one version is read by the next, so a change to
        // this value must come with a new `ListedItems.reading` (stored fingerprints then no
        // longer match anything, and are learned again).
        #expect(block(Array(#"{"id":"con_1","name":"Amina"}"#.utf8)) == 4_773_325_681_172_003_093)
    }

    @Test func oneChangedByteAnywhereChangesTheFingerprint() {
        let item = Array(
            #"{"id":"con_01M8QC1HSNQ810J35TZPJFKVS3","phone":"+14152312450","name":"James"}"#.utf8)
        var seen: Set<Int64> = [block(item)]
        for position in item.indices {
            for flip: UInt8 in [1, 0x20, 0x80] {
                var changed = item
                changed[position] ^= flip
                seen.insert(block(changed))
            }
        }
        #expect(seen.count == 1 + item.count * 3)
        // Length counts too: a trailing zero byte is not nothing.
        #expect(block(item) != block(item + [0]))
        #expect(block([0]) != block([0, 0]))
    }
}
