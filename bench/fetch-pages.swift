// The floor URLSession itself sets: every list page fetched the way syncd's transport fetches
// (one ephemeral session, `concurrency` requests in flight, bodies read whole), nothing parsed.
//
//   swiftc -O bench/fetch-pages.swift -o fetch-pages
//   fetch-pages BASE_URL PAGES [LIMIT] [CONCURRENCY]     prints seconds
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

let arguments = CommandLine.arguments
guard arguments.count >= 3, let pages = Int(arguments[2]) else {
    FileHandle.standardError.write("usage: fetch-pages BASE_URL PAGES [LIMIT] [CONCURRENCY]\n".data(using: .utf8)!)
    exit(64)
}
let base = arguments[1]
let limit = arguments.count > 3 ? arguments[3] : "100"
let concurrency = arguments.count > 4 ? Int(arguments[4]) ?? 8 : 8
let configuration = URLSessionConfiguration.ephemeral
configuration.httpMaximumConnectionsPerHost = concurrency
let session = URLSession(configuration: configuration)

let start = Date()
let bytes = await withTaskGroup(of: Int.self) { group in
    var next = 1
    var total = 0
    func launch() {
        guard next <= pages else { return }
        var request = URLRequest(url: URL(string: "\(base)/contacts?page=\(next)&limit=\(limit)")!)
        request.setValue("Bearer sim-token", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        next += 1
        group.addTask { ((try? await session.data(for: request))?.0.count) ?? 0 }
    }
    for _ in 0..<concurrency { launch() }
    while let count = await group.next() {
        total += count
        launch()
    }
    return total
}
guard bytes > 0 else { exit(1) }
print(String(format: "%.3f", Date().timeIntervalSince(start)))
