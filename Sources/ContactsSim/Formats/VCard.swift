/// The few vCard (RFC 6350) properties a contact import needs: FN (or N), TEL and EMAIL.
enum VCard {
    struct Card: Sendable, Equatable {
        var fullName: String?
        var phone: String?
        var email: String?
    }

    static func parse(_ bytes: [UInt8]) throws(SimError) -> [Card] {
        let text = String(decoding: bytes, as: UTF8.self)
        // Unfold: a line starting with a space or tab continues the previous one.
        var lines: [String] = []
        for raw in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        {
            let line = raw.hasSuffix("\r") ? String(raw.dropLast()) : String(raw)
            if let first = line.first, first == " " || first == "\t", !lines.isEmpty {
                lines[lines.count - 1] += line.dropFirst()
            } else {
                lines.append(line)
            }
        }
        var cards: [Card] = []
        var current: Card?
        var structuredName: String?
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let property = line[..<colon].split(separator: ";").first.map { $0.uppercased() } ?? ""
            let name = property.split(separator: ".").last.map(String.init) ?? property
            let value = unescape(String(line[line.index(after: colon)...]))
            switch name {
            case "BEGIN" where value.uppercased() == "VCARD":
                current = Card()
                structuredName = nil
            case "END" where value.uppercased() == "VCARD":
                guard var card = current else { throw SimError.badRequest("END:VCARD without BEGIN:VCARD") }
                if card.fullName == nil { card.fullName = structuredName }
                cards.append(card)
                current = nil
            case "FN": if current?.fullName == nil { current?.fullName = value }
            case "N":
                let parts = value.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
                let given = parts.count > 1 ? parts[1] : ""
                structuredName = [given, parts.first ?? ""].filter { !$0.isEmpty }.joined(separator: " ")
            case "TEL":
                if current?.phone == nil {
                    current?.phone = value.hasPrefix("tel:") ? String(value.dropFirst(4)) : value
                }
            case "EMAIL": if current?.email == nil { current?.email = value }
            default: break
            }
        }
        guard current == nil else { throw SimError.badRequest("vCard without END:VCARD") }
        guard !cards.isEmpty else { throw SimError.badRequest("no vCard found in the file") }
        return cards
    }

    private static func unescape(_ value: String) -> String {
        var output = ""
        var escaping = false
        for character in value {
            if escaping {
                output.append(character == "n" || character == "N" ? "\n" : character)
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                output.append(character)
            }
        }
        return output
    }
}
