import Foundation

/// The parts of a `multipart/form-data` body (RFC 7578).
enum Multipart {
    struct Part: Sendable {
        var name: String?
        var filename: String?
        var contentType: String?
        var body: [UInt8]
    }

    static func parse(_ body: [UInt8], contentType: String?) throws(SimError) -> [Part] {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else {
            throw SimError(status: 415, message: "expected multipart/form-data with a 'file' part")
        }
        guard let boundary = parameter("boundary", in: contentType), !boundary.isEmpty else {
            throw SimError.badRequest("multipart body without a boundary")
        }
        let delimiter = Array("--\(boundary)".utf8)
        var parts: [Part] = []
        guard var position = find(delimiter, in: body, from: 0) else {
            throw SimError.badRequest("multipart boundary not found in the body")
        }
        while true {
            position += delimiter.count
            if body.count >= position + 2, body[position] == UInt8(ascii: "-"),
                body[position + 1] == UInt8(ascii: "-")
            {
                return parts  // closing delimiter
            }
            guard let headStart = find([13, 10], in: body, from: position).map({ $0 + 2 }),
                let headEnd = find([13, 10, 13, 10], in: body, from: headStart - 2),
                let next = find([13, 10] + delimiter, in: body, from: headEnd + 4)
            else { throw SimError.badRequest("truncated multipart body") }
            let head = String(decoding: body[headStart..<max(headStart, headEnd)], as: UTF8.self)
            var part = Part(body: Array(body[(headEnd + 4)..<next]))
            for line in head.split(separator: "\r\n") {
                let pieces = line.split(separator: ":", maxSplits: 1)
                guard pieces.count == 2 else { continue }
                let value = String(pieces[1]).trimmingCharacters(in: .whitespaces)
                switch pieces[0].lowercased() {
                case "content-disposition":
                    part.name = parameter("name", in: value)
                    part.filename = parameter("filename", in: value)
                case "content-type": part.contentType = value
                default: break
                }
            }
            parts.append(part)
            position = next + 2
        }
    }

    /// `name="value"` or `name=value` inside a header value.
    static func parameter(_ name: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, String(pair[0]).trimmingCharacters(in: .whitespaces).lowercased() == name
            else { continue }
            var value = String(pair[1]).trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 {
                value = String(value.dropFirst().dropLast())
            }
            return value
        }
        return nil
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else {
            return nil
        }
        var index = max(0, start)
        while index <= haystack.count - needle.count {
            if haystack[index] == needle[0] && haystack[index..<(index + needle.count)].elementsEqual(needle)
            {
                return index
            }
            index += 1
        }
        return nil
    }
}
