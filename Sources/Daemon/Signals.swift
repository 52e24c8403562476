@preconcurrency import Dispatch

#if canImport(Glibc)
    public import Glibc
#endif

/// SIGTERM, SIGINT and SIGHUP as an `AsyncStream`, through DispatchSource (signalfd
/// underneath), so the daemon's loop awaits signals like any other event.
public final class Signals: Sendable {
    public let stream: AsyncStream<Int32>
    /// The sources must stay alive as long as the stream is read.
    private let sources: [any DispatchSourceSignal]

    public init(_ numbers: [Int32] = [SIGTERM, SIGINT, SIGHUP]) {
        var continuation: AsyncStream<Int32>.Continuation!
        stream = AsyncStream { continuation = $0 }
        let output = continuation!
        let queue = DispatchQueue(label: "syncd.signals")
        sources = numbers.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { output.yield(number) }
            source.resume()
            return source
        }
    }

    deinit { for source in sources { source.cancel() } }
}
