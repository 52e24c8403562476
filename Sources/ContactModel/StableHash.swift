/// 64-bit FNV-1a: a hash that is the same in every process and on every run (Swift's
/// `Hasher` is seeded per process), so it can be stored and compared later.
public enum StableHash {
    public static func of(_ bytes: some Sequence<UInt8>) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return Int64(bitPattern: hash)
    }

    public static func of(_ text: String) -> Int64 { of(text.utf8) }
}
