import ContactModel
import Foundation

/// Realistic contacts from a seed: E.164 numbers across a dozen countries, names in several
/// scripts (with accents, apostrophes, the odd emoji), emails, tags and attributes.
///
/// The same seed gives the same people, so tests and benchmarks can rely on the data.
struct SeedGenerator {
    private struct Market {
        let country: String
        let prefix: String
        let digits: Int
        let firstNames: [String]
        let lastNames: [String]
    }

    private static let markets: [Market] = [
        Market(
            country: "KE", prefix: "+2547", digits: 8,
            firstNames: ["Wanjiku", "Otieno", "Achieng'", "Kamau", "Njeri", "Mwangi"],
            lastNames: ["Odhiambo", "Kariuki", "Wambui", "Mutua", "Cheruiyot"]),
        Market(
            country: "AE", prefix: "+9715", digits: 8,
            firstNames: ["Ahmed", "Fatima", "محمد", "Layla", "Omar", "نور"],
            lastNames: ["Hassan", "Al-Maktoum", "الهاشمي", "Khalil", "Al Mansouri"]),
        Market(
            country: "US", prefix: "+1415", digits: 7,
            firstNames: ["Sarah", "Zoë", "James", "Maria", "D'Andre", "Chloé"],
            lastNames: ["Johnson", "O'Brien", "García", "Nguyen", "Smith-Jones"]),
        Market(
            country: "GB", prefix: "+447", digits: 9,
            firstNames: ["Siobhán", "Oliver", "Amelia", "Rhys", "Aoife"],
            lastNames: ["Ní Bhriain", "Taylor", "Davies", "McAllister", "Brown"]),
        Market(
            country: "DE", prefix: "+4915", digits: 9,
            firstNames: ["Jürgen", "Björn", "Änne", "Lukas", "Mia"],
            lastNames: ["Müller", "Weiß", "Schröder", "Groß", "Becker"]),
        Market(
            country: "IN", prefix: "+919", digits: 9,
            firstNames: ["Priya", "Arjun", "अर्जुन", "Ananya", "Rohan"],
            lastNames: ["Sharma", "Patel", "शर्मा", "Iyer", "Reddy"]),
        Market(
            country: "BR", prefix: "+55119", digits: 8,
            firstNames: ["João", "Conceição", "Luíza", "Thiago", "Bárbara"],
            lastNames: ["Silva", "Gonçalves", "Araújo", "Pereira", "Magalhães"]),
        Market(
            country: "NG", prefix: "+2348", digits: 9,
            firstNames: ["Chiamaka", "Oluwaseun", "Ngozi", "Emeka", "Adébáyọ̀"],
            lastNames: ["Okafor", "Adeyemi", "Okonkwo", "Balogun", "Nwosu"]),
        Market(
            country: "ZA", prefix: "+277", digits: 8,
            firstNames: ["Thabo", "Lerato", "Sipho", "Anele", "Pieter"],
            lastNames: ["Nkosi", "van der Merwe", "Dlamini", "Botha", "Mokoena"]),
        Market(
            country: "ES", prefix: "+346", digits: 8,
            firstNames: ["José", "Iñaki", "Lucía", "Álvaro", "Begoña"],
            lastNames: ["Álvarez", "Muñoz", "Fernández", "Peña", "Ibáñez"]),
        Market(
            country: "PL", prefix: "+485", digits: 8, firstNames: ["Łukasz", "Zofia", "Małgorzata", "Paweł"],
            lastNames: ["Wiśniewski", "Kowalczyk", "Żółć", "Nowak"]),
        Market(
            country: "VN", prefix: "+849", digits: 8,
            firstNames: ["Nguyễn Văn", "Trần Thị", "Lê Hoàng", "Phạm Minh"],
            lastNames: ["An", "Bình", "Hương", "Khoa"]),
    ]

    static let tags = [
        "vip", "newsletter", "lead", "customer", "wholesale", "returning", "churn-risk", "event-2026",
    ]
    private static let tiers = ["gold", "silver", "bronze"]
    private static let cities = [
        "Nairobi", "Dubai", "San Francisco", "Manchester", "München", "Bengaluru", "São Paulo", "Lagos",
        "Cape Town", "Sevilla", "Kraków", "Hà Nội",
    ]
    private static let domains = ["example.com", "mail.example.org", "example.net"]

    private var random: SeededRandom

    init(seed: UInt64) {
        random = SeededRandom(seed: seed ^ 0x5EED_C0DE)
    }

    /// One person; `attributeKeys` limits attributes to an account's defined fields.
    mutating func contact(at now: Timestamp, attributeKeys: [String]?) -> SimContact {
        let market = random.pick(Self.markets)
        let first = random.pick(market.firstNames)
        let last = random.pick(market.lastNames)
        var name = "\(first) \(last)"
        if random.chance(0.01) { name += " 🚀" }
        // Realistic numbers are numbers in use: draw until the country's plan says so.
        var number = ""
        repeat {
            number = (0..<market.digits).map { _ in String(Int.random(in: 0...9, using: &random)) }.joined()
        } while PhoneNumber(e164: market.prefix + number)?.isInUse != true
        let created = now.adding(
            milliseconds: -Int64.random(in: 86_400_000...(400 * 86_400_000), using: &random))
        let updated = created.adding(milliseconds: Int64.random(in: 0...(30 * 86_400_000), using: &random))
        var contact = SimContact(createdAt: created, updatedAt: min(updated, now.adding(milliseconds: -1000)))
        contact.phone = market.prefix + number
        contact.name = random.chance(0.97) ? name : nil
        contact.country = market.country
        if random.chance(0.8) {
            let local = Self.asciiLetters(first + "." + last)
            contact.email =
                "\(local.isEmpty ? "contact" : local)\(Int.random(in: 1...999, using: &random))@\(random.pick(Self.domains))"
        }
        contact.tags = Array(
            Set((0..<Int.random(in: 0...3, using: &random)).map { _ in random.pick(Self.tags) })
        ).sorted()
        var attributes = [
            "account_tier": random.pick(Self.tiers), "city": random.pick(Self.cities),
            "customer_id": "C-\(String(Int.random(in: 100_000...999_999, using: &random)))",
        ]
        if let attributeKeys {
            attributes = attributes.filter { attributeKeys.contains($0.key) }
        }
        contact.attributes = attributes
        let roll = Double.random(in: 0..<1, using: &random)
        contact.optIn = roll < 0.7 ? .optedIn : roll < 0.8 ? .optedOut : .unknown
        contact.source = random.pick(["organic", "campaign", "import", "api"])
        contact.labels = random.chance(0.2) ? ["premium"] : []
        contact.lifecycleStage = random.pick(["lead", "customer", "customer", "churned"])
        contact.gender = random.pick(["MALE", "FEMALE", "OTHER", nil] as [String?])
        if random.chance(0.6) {
            contact.lastMessageAt = updated
            contact.conversationCount = Int.random(in: 1...20, using: &random)
        }
        return contact
    }

    private static func asciiLetters(_ text: String) -> String {
        String(
            text.lowercased().decomposedStringWithCanonicalMapping.unicodeScalars.filter {
                ($0 >= "a" && $0 <= "z") || $0 == "."
            }.map(Character.init))
    }
}
