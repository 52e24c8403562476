extension JSON {
    /// The compact UTF-8 encoding, ready to send.
    public var serialized: [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        write(to: &output)
        return output
    }

    /// The compact encoding as text.
    public var text: String { String(decoding: serialized, as: UTF8.self) }

    /// An indented encoding for people (two spaces, one member a line).
    public var prettyText: String {
        var output: [UInt8] = []
        write(to: &output, indent: 0)
        return String(decoding: output, as: UTF8.self)
    }

    /// Appends the compact encoding to `output`; the hot path of every list page.
    public func write(to output: inout [UInt8]) {
        switch self {
        case .null: output.append(contentsOf: Self.nullBytes)
        case .bool(let value): output.append(contentsOf: value ? Self.trueBytes : Self.falseBytes)
        case .int(let value): output.append(contentsOf: String(value).utf8)
        case .double(let value): Self.writeDouble(value, to: &output)
        case .string(let value): Self.writeString(value, to: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                element.write(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            var first = true
            for (key, value) in object {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                Self.writeString(key, to: &output)
                output.append(UInt8(ascii: ":"))
                value.write(to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    private func write(to output: inout [UInt8], indent: Int) {
        func pad(_ level: Int) {
            output.append(contentsOf: Array(repeating: UInt8(ascii: " "), count: level * 2))
        }
        switch self {
        case .array(let elements) where !elements.isEmpty:
            output.append(contentsOf: Array("[\n".utf8))
            for (position, element) in elements.enumerated() {
                pad(indent + 1)
                element.write(to: &output, indent: indent + 1)
                output.append(contentsOf: Array((position + 1 < elements.count ? ",\n" : "\n").utf8))
            }
            pad(indent)
            output.append(UInt8(ascii: "]"))
        case .object(let object) where !object.isEmpty:
            output.append(contentsOf: Array("{\n".utf8))
            var remaining = object.count
            for (key, value) in object {
                remaining -= 1
                pad(indent + 1)
                Self.writeString(key, to: &output)
                output.append(contentsOf: Array(": ".utf8))
                value.write(to: &output, indent: indent + 1)
                output.append(contentsOf: Array((remaining > 0 ? ",\n" : "\n").utf8))
            }
            pad(indent)
            output.append(UInt8(ascii: "}"))
        default:
            write(to: &output)
        }
    }

    // MARK: - Scalars

    private static let nullBytes = Array("null".utf8)
    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// JSON has no NaN or infinity; those are written as `null` rather than as invalid text.
    private static func writeDouble(_ value: Double, to output: inout [UInt8]) {
        guard value.isFinite else {
            output.append(contentsOf: nullBytes)
            return
        }
        output.append(contentsOf: value.description.utf8)
    }

    /// Escapes only what JSON requires: quote, backslash and control characters.
    static func writeString(_ value: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""):
                output.append(UInt8(ascii: "\\"))
                output.append(byte)
            case UInt8(ascii: "\\"):
                output.append(UInt8(ascii: "\\"))
                output.append(byte)
            case 0x0A:
                output.append(UInt8(ascii: "\\"))
                output.append(UInt8(ascii: "n"))
            case 0x0D:
                output.append(UInt8(ascii: "\\"))
                output.append(UInt8(ascii: "r"))
            case 0x09:
                output.append(UInt8(ascii: "\\"))
                output.append(UInt8(ascii: "t"))
            case 0..<0x20:
                output.append(contentsOf: Array("\\u00".utf8))
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
