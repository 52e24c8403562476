public import Configuration
import Foundation
import Vendors

/// Builds the adapter for the configured vendor.
public enum RemoteClients {
    /// `budgetWindow` is a minute; tests shorten it to see budgets work without waiting one.
    public static func make(
        _ settings: RemoteSettings, transport: (any HTTPTransport)? = nil, retry: RetryPolicy = RetryPolicy(),
        budgetWindow: Double = 60
    ) throws(RemoteError) -> any RemoteContactsAPI {
        guard let baseURL = URL(string: settings.baseURL) else {
            throw .unsupported("base URL \(settings.baseURL) is not a URL")
        }
        let transport =
            transport
            ?? URLSessionTransport(maximumConnections: settings.concurrency, timeout: settings.timeoutSeconds)
        let budget = RequestBudget(
            perWindow: settings.effectiveRequestsPerMinute, window: budgetWindow,
            learns: settings.requestsPerMinute == nil && settings.provider.learnsRequestLimit,
            perSecond: settings.requestsPerMinute == nil ? settings.provider.publishedRequestsPerSecond : nil)
        let authorizer: any Authorizer =
            if let login = settings.login {
                SuperWabaSession(
                    baseURL: baseURL, login: login, transport: transport, timeout: settings.timeoutSeconds)
            } else {
                settings.provider == .qlara
                    ? HeaderCredential.apiKey(settings.token, header: "X-Api-Key")
                    : HeaderCredential.bearer(settings.token)
            }
        let executor = RequestExecutor(
            transport: transport, policy: retry, timeout: settings.timeoutSeconds, budget: budget,
            maximumWait: settings.maximumWaitSeconds, authorizer: authorizer)
        switch settings.provider {
        case .waply:
            return WaplyClient(baseURL: baseURL, executor: executor, concurrency: settings.concurrency)
        case .sendystack:
            return SendyStackClient(baseURL: baseURL, executor: executor)
        case .superwaba:
            guard let organization = settings.organizationID else {
                throw .unsupported("superwaba needs remote.org_id")
            }
            return SuperWabaClient(
                baseURL: baseURL, organizationID: organization, executor: executor,
                concurrency: settings.concurrency)
        case .qlara:
            return QlaraClient(baseURL: baseURL, executor: executor, concurrency: settings.concurrency)
        }
    }
}
