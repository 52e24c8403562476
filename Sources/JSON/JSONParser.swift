/// A strict RFC 8259 parser over UTF-8 bytes.
///
/// Written for hostile input: the emulator parses whatever a client sends and syncd parses
/// whatever a vendor answers, so nesting is capped (no stack overflow), control characters
/// inside strings are refused, and every error names its byte offset.
struct JSONParser {
    static let maximumDepth = 256

    private let bytes: UnsafeBufferPointer<UInt8>
    private let rejectsDuplicateNames: Bool
    private var index = 0
    private var depth = 0
    /// Member names leading from the top-level object to an array left unparsed.
    private let deferredPath: [String]
    /// How many of `deferredPath`'s names lead to the object being parsed.
    private var deferredDepth = 0
    /// The unparsed array's elements, as byte ranges; `nil` until the array is met.
    private(set) var deferredElements: [Range<Int>]?

    init(
        bytes: UnsafeBufferPointer<UInt8>, rejectsDuplicateNames: Bool = false, deferring path: [String] = []
    ) {
        self.bytes = bytes
        self.rejectsDuplicateNames = rejectsDuplicateNames
        deferredPath = path
    }

    mutating func parseDocument() throws(JSONError) -> JSON {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        guard index == bytes.count else { throw error("unexpected data after the value") }
        return value
    }

    // MARK: - Values

    private mutating func parseValue() throws(JSONError) -> JSON {
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected character")
        }
    }

    private mutating func parseObject() throws(JSONError) -> JSON {
        try enterContainer()
        defer { depth -= 1 }
        index += 1
        var object = JSONObject()
        skipWhitespace()
        if peek(UInt8(ascii: "}")) {
            index += 1
            return .object(object)
        }
        while true {
            skipWhitespace()
            guard peek(UInt8(ascii: "\"")) else { throw error("expected a member name") }
            let nameOffset = index
            let key = try parseString()
            if rejectsDuplicateNames && object[key] != nil {
                throw JSONError(offset: nameOffset, reason: "the member \"\(key)\" appears twice")
            }
            skipWhitespace()
            guard peek(UInt8(ascii: ":")) else { throw error("expected ':'") }
            index += 1
            skipWhitespace()
            if deferredDepth < deferredPath.count, depth == deferredDepth + 1,
                key == deferredPath[deferredDepth]
            {
                object[key] = try parseOnDeferredPath()
            } else {
                object[key] = try parseValue()
            }
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input in an object") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(object)
            } else {
                throw error("expected ',' or '}'")
            }
        }
    }

    private mutating func parseArray() throws(JSONError) -> JSON {
        var elements: [JSON] = []
        try forEachElement { parser throws(JSONError) in elements.append(try parser.parseValue()) }
        return .array(elements)
    }

    /// Walks the array starting here, calling `element` at the start of each element (which
    /// must step over it), and the commas, whitespace and brackets between.
    private mutating func forEachElement(_ element: (inout JSONParser) throws(JSONError) -> Void)
        throws(JSONError)
    {
        try enterContainer()
        defer { depth -= 1 }
        index += 1
        skipWhitespace()
        if peek(UInt8(ascii: "]")) {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            try element(&self)
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input in an array") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return
            } else {
                throw error("expected ',' or ']'")
            }
        }
    }

    /// A member on the way to the deferred array: the array itself is skipped element by
    /// element (left as an empty array in the document), an object on the way is parsed
    /// looking one name further.
    private mutating func parseOnDeferredPath() throws(JSONError) -> JSON {
        if deferredDepth + 1 == deferredPath.count, peek(UInt8(ascii: "[")), deferredElements == nil {
            deferredElements = try skipArrayElements()
            return .array([])
        }
        deferredDepth += 1
        defer { deferredDepth -= 1 }
        return try parseValue()
    }

    private mutating func skipArrayElements() throws(JSONError) -> [Range<Int>] {
        var elements: [Range<Int>] = []
        try forEachElement { parser throws(JSONError) in
            let start = parser.index
            try parser.skipValue()
            elements.append(start..<parser.index)
        }
        return elements
    }

    /// Steps over one value without building it: strings to their closing quote, containers
    /// to their matching end. Only the value's extent is checked; its content is checked when
    /// it is parsed.
    mutating func skipValue() throws(JSONError) {
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "\""):
            try skipString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            // The hot loop of a quiet cycle (every listed byte passes here): locals only, and
            // `[`/`{` and `]`/`}` told apart from other bytes in one compare each (they
            // differ from each other in the 0x20 bit alone).
            let (bytes, end) = (self.bytes, self.bytes.count)
            var position = index
            var nesting = 0
            defer { index = position }
            repeat {
                guard position < end else {
                    throw JSONError(offset: position, reason: "unexpected end of input")
                }
                let byte = bytes[position]
                let folded = byte | 0x20
                if folded == UInt8(ascii: "{") {
                    nesting += 1
                    if depth + nesting > Self.maximumDepth {
                        throw JSONError(offset: position, reason: "nesting deeper than \(Self.maximumDepth)")
                    }
                } else if folded == UInt8(ascii: "}") {
                    nesting -= 1
                } else if byte == UInt8(ascii: "\"") {
                    guard let close = Self.closingQuote(in: bytes, after: position) else {
                        throw JSONError(offset: end, reason: "unterminated string")
                    }
                    position = close
                }
                position += 1
            } while nesting > 0
        default:
            let start = index
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), 0x20, 0x09, 0x0A, 0x0D:
                    guard index > start else { throw error("unexpected character") }
                    return
                default:
                    index += 1
                }
            }
        }
    }

    private mutating func skipString() throws(JSONError) {
        guard let close = Self.closingQuote(in: bytes, after: index) else {
            throw error("unterminated string")
        }
        index = close + 1
    }

    /// The closing quote of the string whose opening quote is at `quote`, if it has one.
    private static func closingQuote(in bytes: UnsafeBufferPointer<UInt8>, after quote: Int) -> Int? {
        var position = quote + 1
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") { return position }
            position += byte == UInt8(ascii: "\\") ? 2 : 1
        }
        return nil
    }

    /// Within the object starting here: the bytes of member `name`'s value when it is a
    /// string without escapes (inside its quotes) or a number; `nil` otherwise.
    mutating func scalarMember(_ name: String) -> Range<Int>? {
        guard peek(UInt8(ascii: "{")) else { return nil }
        index += 1
        while true {
            skipWhitespace()
            guard peek(UInt8(ascii: "\"")), let key = try? parseString() else { return nil }
            skipWhitespace()
            guard peek(UInt8(ascii: ":")) else { return nil }
            index += 1
            skipWhitespace()
            guard index < bytes.count else { return nil }
            if key == name {
                let start = index
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    index += 1
                    while index < bytes.count, bytes[index] != UInt8(ascii: "\""),
                        bytes[index] != UInt8(ascii: "\\")
                    {
                        index += 1
                    }
                    return peek(UInt8(ascii: "\"")) ? start + 1..<index : nil
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    // An integer as the parser would print it back: no sign of zero, no
                    // leading zero, no fraction or exponent.
                    if peek(UInt8(ascii: "-")) { index += 1 }
                    let digits = index
                    while index < bytes.count, isDigit(bytes[index]) { index += 1 }
                    let count = index - digits
                    guard count > 0, count < 19,
                        bytes[digits] != UInt8(ascii: "0") || (count == 1 && digits == start),
                        index < bytes.count, !isNumberPart(bytes[index])
                    else { return nil }
                    return start..<index
                default:
                    return nil
                }
            }
            guard (try? skipValue()) != nil else { return nil }
            skipWhitespace()
            guard peek(UInt8(ascii: ",")) else { return nil }
            index += 1
        }
    }

    mutating func seek(to offset: Int) { index = offset }

    private mutating func enterContainer() throws(JSONError) {
        depth += 1
        if depth > Self.maximumDepth { throw error("nesting deeper than \(Self.maximumDepth)") }
    }

    // MARK: - Strings

    private mutating func parseString() throws(JSONError) -> String {
        index += 1  // opening quote
        let start = index
        // Fast path: no escapes, the common case for contact data.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = String(
                    decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw error("control character in a string") }
            index += 1
        }
        guard index < bytes.count else { throw error("unterminated string") }
        var scalars: [UInt8] = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: scalars, as: UTF8.self)
            case UInt8(ascii: "\\"):
                index += 1
                try parseEscape(into: &scalars)
            case 0..<0x20:
                throw error("control character in a string")
            default:
                scalars.append(byte)
                index += 1
            }
        }
        throw error("unterminated string")
    }

    private mutating func parseEscape(into output: inout [UInt8]) throws(JSONError) {
        guard index < bytes.count else { throw error("unterminated escape") }
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""): output.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): output.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "/"): output.append(UInt8(ascii: "/"))
        case UInt8(ascii: "b"): output.append(0x08)
        case UInt8(ascii: "f"): output.append(0x0C)
        case UInt8(ascii: "n"): output.append(0x0A)
        case UInt8(ascii: "r"): output.append(0x0D)
        case UInt8(ascii: "t"): output.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try parseHex4()
            if (0xD800...0xDBFF).contains(scalar) {
                // A high surrogate must be followed by an escaped low surrogate.
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                    bytes[index + 1] == UInt8(ascii: "u")
                else { throw error("lone surrogate in a \\u escape") }
                index += 2
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw error("invalid surrogate pair") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw error("lone surrogate in a \\u escape")
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
            output.append(contentsOf: Array(String(Character(unicode)).utf8))
        default:
            throw error("invalid escape")
        }
    }

    private mutating func parseHex4() throws(JSONError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("invalid hex digit in a \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    // MARK: - Numbers and literals

    private mutating func parseNumber() throws(JSONError) -> JSON {
        let start = index
        var isInteger = true
        if peek(UInt8(ascii: "-")) { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, isDigit(bytes[index]) { throw error("leading zero in a number") }
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if peek(UInt8(ascii: ".")) {
            isInteger = false
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid fraction") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if peek(UInt8(ascii: "e")) || peek(UInt8(ascii: "E")) {
            isInteger = false
            index += 1
            if peek(UInt8(ascii: "+")) || peek(UInt8(ascii: "-")) { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid exponent") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if isInteger, let value = Int(text) { return .int(value) }
        guard let value = Double(text), value.isFinite else { throw error("number out of range") }
        return .double(value)
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONError) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("unexpected end of input") }
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        for offset in 0..<count where bytes[index + offset] != expected[offset] {
            throw error("unexpected character")
        }
        index += count
    }

    // MARK: - Helpers

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private func isNumberPart(_ byte: UInt8) -> Bool {
        isDigit(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
    }

    private func peek(_ byte: UInt8) -> Bool { index < bytes.count && bytes[index] == byte }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private func error(_ reason: String) -> JSONError { JSONError(offset: index, reason: reason) }
}

extension JSON {
    /// Parses one JSON document from UTF-8 bytes.
    /// Parses a document. RFC 8259 leaves repeated member names to the reader: by default the
    /// last one wins; `rejectingDuplicateNames` refuses them (a config file where a key typed
    /// twice would silently drop one of the two settings).
    public static func parse(_ bytes: some Collection<UInt8>, rejectingDuplicateNames: Bool = false)
        throws(JSONError) -> JSON
    {
        let result: Result<JSON, JSONError>? = bytes.withContiguousStorageIfAvailable { buffer in
            var parser = JSONParser(bytes: buffer, rejectsDuplicateNames: rejectingDuplicateNames)
            return Result { () throws(JSONError) -> JSON in try parser.parseDocument() }
        }
        if let result { return try result.get() }
        return try parse(Array(bytes), rejectingDuplicateNames: rejectingDuplicateNames)
    }

    /// Parses one JSON document from text.
    public static func parse(_ text: String) throws(JSONError) -> JSON {
        try parse(Array(text.utf8))
    }
}
