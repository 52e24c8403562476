/// A document parsed but for one array, whose elements stay bytes until asked for.
///
/// A listing page is mostly its array of contacts, and in a quiet cycle nearly all of them
/// are byte for byte what syncd saw last time: a reader that can tell that from an
/// element's bytes parses only the others.
public struct PartlyParsedJSON: Sendable {
    /// The document, with the deferred array left empty.
    public let document: JSON
    /// Where each element of the deferred array lies in `bytes`; empty when the document
    /// has no such array.
    public let elements: [Range<Int>]
    public let bytes: [UInt8]

    /// Parses `bytes`, leaving the array at `path` (member names from the top-level object)
    /// unparsed. The document's shape is checked as usual; each element is checked only
    /// when it is parsed.
    public init(_ bytes: [UInt8], deferringArrayAt path: [String]) throws(JSONError) {
        let result = bytes.withUnsafeBufferPointer { buffer -> Result<(JSON, [Range<Int>]), JSONError> in
            var parser = JSONParser(bytes: buffer, deferring: path)
            return Result { () throws(JSONError) in
                let document = try parser.parseDocument()
                return (document, parser.deferredElements ?? [])
            }
        }
        (document, elements) = try result.get()
        self.bytes = bytes
    }

    /// The `index`th element, parsed.
    public func element(_ index: Int) throws(JSONError) -> JSON {
        let range = elements[index]
        let result = bytes.withUnsafeBufferPointer { buffer -> Result<JSON, JSONError> in
            var parser = JSONParser(bytes: UnsafeBufferPointer(rebasing: buffer[..<range.upperBound]))
            parser.seek(to: range.lowerBound)
            return Result { () throws(JSONError) in try parser.parseDocument() }
        }
        return try result.get()
    }

    /// The `index`th element's bytes.
    public func withElementBytes<Result>(_ index: Int, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[elements[index]])) }
    }

    /// The bytes of member `name` of the `index`th element, when the element is an object and
    /// the member is an integer or a string without escapes (inside its quotes): what parsing
    /// would give as text. `nil` otherwise (parse the element to know). Of a name given twice
    /// this is the first, where parsing keeps the last: a hint to find the element by, not
    /// proof of what it holds.
    public func withScalarMember<Result>(
        _ name: String, ofElement index: Int, _ body: (UnsafeRawBufferPointer?) -> Result
    ) -> Result {
        let range = elements[index]
        return bytes.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(bytes: UnsafeBufferPointer(rebasing: buffer[..<range.upperBound]))
            parser.seek(to: range.lowerBound)
            guard let member = parser.scalarMember(name) else { return body(nil) }
            return body(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: buffer[member])))
        }
    }
}
