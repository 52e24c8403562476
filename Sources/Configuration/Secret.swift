/// A credential. It prints as `<redacted>` wherever it ends up (logs, errors, `dump`), so
/// only the code that builds an `Authorization` header ever sees the text.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The credential itself; read it only to put it on the wire.
    public let revealed: String

    public init(_ value: String) {
        revealed = value
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: []) }
}
