import Foundation
import IoTHubCore
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A small client of the IoT Hub service REST API (the simulated hub's, or a real one's),
/// authorised with a service SAS token minted from a shared access policy key.
struct ServiceClient: Sendable {
    /// The API version sent with every request.
    static let apiVersion = "2021-04-12"

    var baseURL: URL
    var hostName: String
    var policyName: String
    /// Secret.
    var policyKey: DeviceKey

    /// A response: status, headers and body text.
    struct Reply: Sendable {
        var status: Int
        var headers: [String: String]
        var body: String

        /// The IoT Hub error code and message, for failures.
        var errorDescription: String {
            let code = headers.first { $0.key.lowercased() == "iothub-errorcode" }?.value
            return "HTTP \(status)\(code.map { " \($0)" } ?? ""): \(body)"
        }
    }

    /// Sends one request with a fresh service token valid for an hour.
    func send(method: String, path: String, headers: [String: String] = [:], body: Data = Data(), now: Date = Date()) async throws -> Reply {
        guard var components = URLComponents(url: baseURL, resolvingAgainstBaseURL: false) else {
            throw InvalidInput(description: "error: --hub: '\(baseURL)' is not a URL")
        }
        components.percentEncodedPath = path
        components.queryItems = [URLQueryItem(name: "api-version", value: Self.apiVersion)]
        guard let url = components.url else { throw InvalidInput(description: "error: cannot build a URL for \(path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.httpBody = body
        let token = SASToken.make(resource: hostName, key: policyKey, expiry: Int64(now.timeIntervalSince1970) + 3600, policyName: policyName)
        request.setValue(token.rendered, forHTTPHeaderField: "Authorization")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw InvalidInput(description: "error: \(url) did not answer over HTTP") }
        var replyHeaders: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { replyHeaders[name] = value }
        }
        return Reply(status: http.statusCode, headers: replyHeaders, body: String(decoding: data, as: UTF8.self))
    }
}
