public import ContactModel
public import HTTPServer
import JSON
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The emulator of one vendor's contacts API, served over real HTTP on loopback.
///
/// Tests start it in-process on port 0 and read the port back; the `contacts-sim` command
/// runs the same thing from a shell. Vendor paths behave as `PROVIDERS.md` describes; paths
/// under `/_sim/` are the control API (seed, inspect, edit as a dashboard user, faults,
/// counters) and are never rate limited or faulted.
public final class ContactsSimulator: HTTPResponder, Sendable {
    public let dialect: Dialect
    private let api: any VendorAPI
    private let state: Mutex<SimState>
    private let server = Mutex<HTTPServer?>(nil)

    /// Loads the `stateFile`, when configured, before anything is served.
    public init(configuration: SimConfiguration, clock: any WallClock = SystemClock()) throws {
        dialect = configuration.dialect
        switch configuration.dialect {
        case .sendystack: api = SendyStackAPI()
        case .superwaba: api = SuperWabaAPI()
        case .waply: api = WaplyAPI()
        case .qlara: api = QlaraAPI()
        }
        var initial = SimState(configuration: configuration, clock: clock)
        if let path = configuration.stateFile {
            let file = try StateFile(path: path)
            initial.clockOffsetMilliseconds = try file.load(into: &initial.store)
            initial.stateFile = file
        }
        state = Mutex(initial)
    }

    // MARK: - Serving

    /// Starts serving; returns the bound port (pass 0 for a free one).
    @discardableResult
    public func start(host: String = "127.0.0.1", port: Int = 0, maxBodyBytes: Int = 32 * 1024 * 1024) throws
        -> Int
    {
        let configuration = HTTPServer.Configuration(
            host: host, port: port, limits: .init(maxBodyBytes: maxBodyBytes))
        let server = HTTPServer(configuration: configuration, responder: self)
        let bound = try server.start()
        self.server.withLock { $0 = server }
        return bound
    }

    public func stop() {
        let running = server.withLock { server -> HTTPServer? in
            defer { server = nil }
            return server
        }
        running?.stop()
    }

    /// The port being served, or 0 before `start`.
    public var port: Int { server.withLock { $0?.port ?? 0 } }

    /// What a client puts in its config as `remote.base_url`.
    public var baseURL: String { "http://127.0.0.1:\(port)\(dialect.basePath)" }

    /// How many contacts the store holds (for tests and the demo).
    public var contactCount: Int { state.withLock { $0.store.count } }

    /// Runs `body` under the emulator's lock (seeding at start-up, tests' direct checks).
    func withState<T: Sendable>(_ body: (inout SimState) -> T) -> T {
        state.withLock { body(&$0) }
    }

    // MARK: - One request

    public func reply(to request: HTTPRequest) -> HTTPReply {
        if request.path == "/_sim" || request.path.hasPrefix("/_sim/") {
            return .respond(state.withLock { ControlAPI.handle(request, &$0) })
        }
        let delay = state.withLock { $0.latency(for: request) }
        if delay > 0 { usleep(UInt32(min(delay, 600_000)) * 1000) }
        return state.withLock { serve(request, &$0) }
    }

    private func serve(_ request: HTTPRequest, _ state: inout SimState) -> HTTPReply {
        guard let (route, parameters) = api.route(for: request) else {
            let status = api.knowsPath(request) ? 405 : 404
            let message =
                status == 405
                ? "Method \(request.method) is not allowed here"
                : "No route for \(request.method) \(request.path)"
            var response = api.render(
                VendorError(status, status == 405 ? "method_not_allowed" : "not_found", message),
                state: &state)
            api.finish(&response, caller: nil, state: &state)
            state.counters.record(endpoint: "\(request.method) (unknown path)", outcome: .status(status))
            return .respond(response)
        }
        let endpoint = "\(route.method) \(dialect.basePath)\(route.pattern.template)"
        let faulty = state.faults.matches(method: request.method, path: request.path)
        if faulty && state.strikes(next: \.dropBeforeNext, rate: \.dropBeforeRate) {
            state.counters.record(endpoint: endpoint, outcome: .dropped)
            return .hangUp
        }
        var caller: Caller?
        var response: HTTPResponse
        switch route.requiresAuth
            ? api.authenticate(request, state: &state) : .success(Caller(bucket: "anonymous", role: .viewer))
        {
        case .failure(let error):
            response = api.render(error, state: &state)
        case .success(let authenticated):
            caller = route.requiresAuth ? authenticated : nil
            if faulty && state.faults.force429Next > 0 {
                state.faults.force429Next -= 1
                response = api.rateLimited(retryAfter: state.faults.retryAfterSeconds, state: &state)
                if !state.faults.hint429 {
                    response.headers.remove(name: "Retry-After")
                    response.body =
                        api.render(VendorError(429, "rate_limited", "Too many requests"), state: &state).body
                }
            } else if route.rateLimited,
                case .limited(let wait) = state.limiter.admit(authenticated.bucket, at: state.now())
            {
                response = api.rateLimited(retryAfter: wait, state: &state)
            } else if faulty && state.strikes(next: \.serverErrorNext, rate: \.serverErrorRate) {
                response = api.serverError(
                    status: [500, 502, 503][Int.random(in: 0..<3, using: &state.random)], state: &state)
            } else {
                if route.isListPage
                    && (state.faults.churnInsertPerPage > 0 || state.faults.churnDeletePerPage > 0)
                {
                    state.churn(
                        insert: state.faults.churnInsertPerPage, delete: state.faults.churnDeletePerPage)
                }
                do {
                    response = try route.handler(
                        VendorRequest(http: request, parameters: parameters, caller: caller), &state)
                } catch {
                    response = api.render(error, state: &state)
                }
                if faulty && state.strikes(next: \.dropAfterNext, rate: \.dropAfterRate) {
                    save(&state)
                    state.counters.record(endpoint: endpoint, outcome: .dropped)
                    return .hangUp
                }
                if faulty && response.status < 300
                    && state.strikes(next: \.malformedNext, rate: \.malformedRate)
                {
                    response.body = Array(response.body.prefix(max(1, response.body.count * 3 / 5)))
                }
            }
        }
        api.finish(&response, caller: caller, state: &state)
        state.counters.record(endpoint: endpoint, outcome: .status(response.status))
        save(&state)
        return .respond(response)
    }

    /// Persists what the request changed; a failing state file is reported, not fatal.
    private func save(_ state: inout SimState) {
        do {
            try state.save()
        } catch {
            var message = Array("contacts-sim: could not write the state file: \(error)\n".utf8)
            _ = write(2, &message, message.count)
        }
    }
}
