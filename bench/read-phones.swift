// Reads 100,000 CRM phones as syncd's first scan does, and prints the CPU time it took.
// Built and run by bench/phones.sh against the release build of the ContactModel module.
import ContactModel
import Glibc

/// What a CRM holds: mostly clean numbers, a third typed by people (spaces, trunk prefixes,
/// dashes, labels), a few with extensions, across several countries.
func corpus(_ count: Int) -> [(String, String)] {
    var rows: [(String, String)] = []
    rows.reserveCapacity(count)
    for index in 0..<count {
        let serial = 10_000_000 + index
        switch index % 6 {
        case 0: rows.append(("+2547\(serial)", "KE"))
        case 1: rows.append(("07\(String(serial).prefix(2)) \(String(serial).dropFirst(2).prefix(3)) \(String(serial).suffix(3))", "KE"))
        case 2: rows.append(("+44 7911 \(String(serial).suffix(6))", "GB"))
        case 3: rows.append(("(415) 555-\(String(serial).suffix(4))", "US"))
        case 4: rows.append(("Tel: 0151 \(String(serial).suffix(8))", "DE"))
        default: rows.append(("+1 415-555-\(String(serial).suffix(4)) x\(index % 100)", "US"))
        }
    }
    return rows
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
        + Double(usage.ru_stime.tv_usec) / 1e6
}

let rows = corpus(100_000)
_ = try? PhoneNumber.read("+254712345678", defaultCountry: "KE")  // the tables, once
let start = cpuSeconds()
var read = 0
var refused = 0
for (typed, country) in rows {
    if (try? PhoneNumber.read(typed, defaultCountry: country)) != nil { read += 1 } else { refused += 1 }
}
let seconds = cpuSeconds() - start
print("read \(rows.count) phones (\(read) numbers in use, \(refused) refused) in \(seconds) s of CPU")
