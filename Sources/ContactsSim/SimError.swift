/// A problem with a request to the emulator, before any dialect's error shape is applied.
public struct SimError: Error, Sendable, Equatable, CustomStringConvertible {
    public let status: Int
    public let message: String

    public static func badRequest(_ message: String) -> SimError { SimError(status: 400, message: message) }
    public static func notFound(_ message: String) -> SimError { SimError(status: 404, message: message) }

    public var description: String { message }
}
