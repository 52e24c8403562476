import ContactsSim
import JSON
import TestSupport
import Testing

@Suite struct RobustnessTests {
    @Test(arguments: Dialect.allCases)
    func garbageNeverBreaksTheEmulator(_ dialect: Dialect) throws {
        let sim = try SimHarness(dialect)
        try sim.seed(20)
        var random = SystemRandomNumberGenerator()
        let bodies: [[UInt8]] = [
            Array("{".utf8), Array("[]".utf8), Array("null".utf8), Array("{\"contacts\": 5}".utf8),
            Array("{\"phone\": {\"deep\": [1,2,{}]}}".utf8),
            Array(repeating: UInt8(ascii: "["), count: 10_000),
            (0..<512).map { _ in UInt8.random(in: 0...255, using: &random) },
        ]
        let paths = [
            "/contacts", "/internal/contacts", "/internal/contacts/bulk", "/api/whatsapp/contacts",
            "/api/whatsapp/contacts/bulk", "/contacts/list/contacts", "/contacts/mapped/file",
            "/exports/contacts",
        ]
        for path in paths {
            for method in ["POST", "PUT", "PATCH", "DELETE"] {
                for body in bodies {
                    let response = try sim.call(
                        method, path, headers: ["Content-Type": "application/json"], body: body)
                    // An export request ignores members it does not know, so an object body starts one.
                    let acceptable =
                        (400..<500).contains(response.status)
                        || (path == "/exports/contacts" && response.status == 202)
                    #expect(acceptable, "\(method) \(path) answered \(response.status)")
                }
            }
        }
        // Raw junk on the socket, then a correct request still gets a correct answer.
        for _ in 0..<50 {
            let client = try LoopbackClient(port: sim.port, timeoutSeconds: 2)
            try? client.send(
                (0..<Int.random(in: 1...2048, using: &random)).map { _ in
                    UInt8.random(in: 0...255, using: &random)
                })
        }
        #expect(try sim.storedContacts().count == 20, "nothing was written by garbage")
        let listPath =
            ["sendystack": "/internal/contacts", "superwaba": "/api/whatsapp/contacts"][dialect.rawValue]
            ?? "/contacts"
        #expect(try sim.call("GET", listPath).status == 200)
    }
}
