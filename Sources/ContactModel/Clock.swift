#if canImport(Glibc)
    import Glibc
#endif

/// The source of "now": a seam so that tests and the emulator can move time.
///
/// Named `WallClock` to stay clear of the standard library's `Clock`, which measures
/// durations, not dates.
public protocol WallClock: Sendable {
    func now() -> Timestamp
}

/// Wall-clock time from the system.
public struct SystemClock: WallClock {
    public init() {}

    public func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(millisecondsSinceEpoch: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }
}
