/// A small deterministic generator (SplitMix64), so a seed reproduces the same ids, contacts
/// and fault decisions on every run.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `true` with probability `share` (0...1).
    mutating func chance(_ share: Double) -> Bool {
        share > 0 && Double.random(in: 0..<1, using: &self) < share
    }

    mutating func pick<T>(_ items: [T]) -> T {
        items[Int.random(in: 0..<items.count, using: &self)]
    }

    mutating func hex(_ count: Int) -> String {
        String((0..<count).map { _ in Array("0123456789abcdef")[Int.random(in: 0..<16, using: &self)] })
    }

    /// Crockford base-32, as ULIDs use.
    mutating func base32(_ count: Int) -> String {
        String(
            (0..<count).map { _ in
                Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")[Int.random(in: 0..<32, using: &self)]
            })
    }
}
