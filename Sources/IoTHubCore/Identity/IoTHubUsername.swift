/// The MQTT user name a device presents to IoT Hub, parsed into its parts.
///
/// Accepted forms: `{host}/{deviceId}/?{query}` (documented), `{host}/{deviceId}/{query}`
/// without `?` (the 2016 form, `api-version=...`), and `{host}/{deviceId}` or
/// `{host}/{deviceId}/` with no query. Module identities add `/{moduleId}` after the device id.
public struct IoTHubUsername: Sendable, Hashable, CustomStringConvertible {
    public var hostName: String
    public var deviceID: String
    public var moduleID: String?
    /// Query parameters in order, for example `[("api-version", "2021-04-12")]`.
    public var query: [QueryItem]

    /// One `name=value` pair of the user name's query.
    public struct QueryItem: Sendable, Hashable {
        public var name: String
        public var value: String?
    }

    /// The API version the device asked for, if any.
    public var apiVersion: String? { query.first { $0.name == "api-version" }?.value ?? nil }

    /// The documented API version of the current docs.
    public static let currentAPIVersion = "2021-04-12"

    /// Builds the documented form `{host}/{deviceId}/?api-version={version}`.
    public init(hostName: String, deviceID: String, moduleID: String? = nil, apiVersion: String? = IoTHubUsername.currentAPIVersion) {
        self.hostName = hostName
        self.deviceID = deviceID
        self.moduleID = moduleID
        self.query = apiVersion.map { [QueryItem(name: "api-version", value: $0)] } ?? []
    }

    /// Parses a user name received in CONNECT.
    /// - Throws: ``IoTHubCoreError/malformedUsername(_:)``.
    public init(parsing text: String) throws(IoTHubCoreError) {
        var path = Substring(text)
        var queryText: Substring?
        if let mark = text.firstIndex(of: "?") {
            path = text[..<mark]
            queryText = text[text.index(after: mark)...]
        }
        var segments = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if queryText == nil, segments.count >= 3, let last = segments.last, last.contains("=") {
            // The 2016 form: {host}/{deviceId}/api-version=...
            queryText = Substring(last)
            segments.removeLast()
            segments.append("")
        }
        if segments.last == "", segments.count > 2 { segments.removeLast() }
        guard segments.count == 2 || segments.count == 3, segments.allSatisfy({ !$0.isEmpty }) else {
            throw .malformedUsername(text)
        }
        self.hostName = segments[0]
        self.deviceID = segments[1]
        self.moduleID = segments.count == 3 ? segments[2] : nil
        self.query = (queryText ?? "").split(separator: "&").map { item in
            if let equals = item.firstIndex(of: "=") {
                return QueryItem(name: String(item[..<equals]), value: String(item[item.index(after: equals)...]))
            }
            return QueryItem(name: String(item), value: nil)
        }
    }

    /// The user name text.
    public var description: String {
        var text = "\(hostName)/\(deviceID)/"
        if let moduleID { text += "\(moduleID)/" }
        if !query.isEmpty {
            text += "?" + query.map { item in item.value.map { "\(item.name)=\($0)" } ?? item.name }.joined(separator: "&")
        }
        return text
    }
}
