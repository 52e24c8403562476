#if canImport(Glibc)
    import Glibc
#endif

/// Where a command writes: stdout for results, stderr for messages. Unbuffered writes, so a
/// line is never lost when the process is killed. A seam so tests can capture output.
public protocol Console: Sendable {
    func out(_ line: String)
    func err(_ line: String)
}

/// The process's own stdout and stderr.
public struct StandardConsole: Console {
    public init() {}

    public func out(_ line: String) { Self.write(line + "\n", to: 1) }
    public func err(_ line: String) { Self.write(line + "\n", to: 2) }

    static func write(_ text: String, to descriptor: Int32) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes {
                Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset)
            }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}
