/// An IoT Hub connection string: `HostName=...;DeviceId=...;SharedAccessKey=...` for devices,
/// `HostName=...;SharedAccessKeyName=...;SharedAccessKey=...` for service policies, with
/// optional `GatewayHostName=...`.
public struct ConnectionString: Sendable, Hashable, CustomStringConvertible {
    public var hostName: String
    public var deviceID: String?
    public var moduleID: String?
    public var sharedAccessKeyName: String?
    /// Secret: never print it.
    public var sharedAccessKey: DeviceKey?
    public var gatewayHostName: String?

    public init(
        hostName: String,
        deviceID: String? = nil,
        sharedAccessKeyName: String? = nil,
        sharedAccessKey: DeviceKey? = nil,
        gatewayHostName: String? = nil
    ) {
        self.hostName = hostName
        self.deviceID = deviceID
        self.sharedAccessKeyName = sharedAccessKeyName
        self.sharedAccessKey = sharedAccessKey
        self.gatewayHostName = gatewayHostName
    }

    /// Parses a connection string.
    /// - Throws: ``IoTHubCoreError/malformedConnectionString(reason:)``.
    public init(parsing text: String) throws(IoTHubCoreError) {
        var values: [String: String] = [:]
        for (index, part) in text.split(separator: ";").enumerated() where !part.isEmpty {
            guard let equals = part.firstIndex(of: "=") else {
                // Never quoted: a key pasted without its name would leak into the message.
                throw .malformedConnectionString(reason: "part \(index + 1) has no '=' (expected Name=value parts separated by ';')")
            }
            let name = String(part[..<equals])
            guard ["HostName", "DeviceId", "ModuleId", "SharedAccessKeyName", "SharedAccessKey", "GatewayHostName"].contains(name) else {
                // Field names are short words; anything else may be a pasted key, never quoted.
                let looksLikeName = name.count <= 32 && name.allSatisfy { $0.isASCII && $0.isLetter }
                throw .malformedConnectionString(reason: looksLikeName ? "unknown field '\(name)'" : "part \(index + 1) is not a Name=value field")
            }
            values[name] = String(part[part.index(after: equals)...])
        }
        guard let host = values["HostName"], !host.isEmpty else {
            throw .malformedConnectionString(reason: "HostName is missing")
        }
        self.hostName = host
        self.deviceID = values["DeviceId"]
        self.moduleID = values["ModuleId"]
        self.sharedAccessKeyName = values["SharedAccessKeyName"]
        self.sharedAccessKey = try values["SharedAccessKey"].map { text throws(IoTHubCoreError) in try DeviceKey(base64: text) }
        self.gatewayHostName = values["GatewayHostName"]
    }

    /// The full connection string, key included. Secret: for output use ``description``.
    public var rendered: String { render(key: sharedAccessKey?.base64) }

    /// The connection string with the key shown as `***`.
    public var description: String { render(key: sharedAccessKey == nil ? nil : "***") }

    private func render(key: String?) -> String {
        var parts = ["HostName=\(hostName)"]
        if let deviceID { parts.append("DeviceId=\(deviceID)") }
        if let moduleID { parts.append("ModuleId=\(moduleID)") }
        if let sharedAccessKeyName { parts.append("SharedAccessKeyName=\(sharedAccessKeyName)") }
        if let key { parts.append("SharedAccessKey=\(key)") }
        if let gatewayHostName { parts.append("GatewayHostName=\(gatewayHostName)") }
        return parts.joined(separator: ";")
    }
}
