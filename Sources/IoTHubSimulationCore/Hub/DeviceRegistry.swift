import IoTHubCore

/// One device identity the hub knows.
public struct DeviceRecord: Sendable, Hashable {
    /// Whether the device may connect.
    public enum Status: String, Sendable, Hashable {
        case enabled, disabled
    }

    public var id: DeviceID
    /// Secret.
    public var primaryKey: DeviceKey
    /// Secret.
    public var secondaryKey: DeviceKey
    public var status: Status
    /// How the device proves its identity at CONNECT. Default: a SAS token.
    public var authentication: DeviceAuthentication

    /// Creates a record; a missing secondary key is generated at random. An X.509 device
    /// keeps keys too, which no token it presents is checked against.
    public init(
        id: DeviceID,
        primaryKey: DeviceKey,
        secondaryKey: DeviceKey? = nil,
        status: Status = .enabled,
        authentication: DeviceAuthentication = .sharedAccessKey
    ) {
        self.id = id
        self.primaryKey = primaryKey
        self.secondaryKey = secondaryKey ?? DeviceKey.random()
        self.status = status
        self.authentication = authentication
    }

    /// Keys tried in order when verifying the device's tokens.
    public var keys: [DeviceKey] { [primaryKey, secondaryKey] }
}

/// A shared access policy (for example `iothubowner` or `device`) and what it may do.
public struct AccessPolicy: Sendable, Hashable {
    /// A right a policy grants.
    public enum Permission: String, Sendable, Hashable, CaseIterable {
        case registryRead = "RegistryRead"
        case registryWrite = "RegistryWrite"
        case serviceConnect = "ServiceConnect"
        case deviceConnect = "DeviceConnect"
    }

    public var name: String
    /// Secret.
    public var primaryKey: DeviceKey
    /// Secret.
    public var secondaryKey: DeviceKey
    public var permissions: Set<Permission>

    public init(name: String, primaryKey: DeviceKey, secondaryKey: DeviceKey? = nil, permissions: Set<Permission>) {
        self.name = name
        self.primaryKey = primaryKey
        self.secondaryKey = secondaryKey ?? DeviceKey.random()
        self.permissions = permissions
    }

    public var keys: [DeviceKey] { [primaryKey, secondaryKey] }
}

/// The hub's identity registry: devices, shared access policies, and the certificate
/// authorities CA-signed X.509 devices chain to.
public struct DeviceRegistry: Sendable {
    public private(set) var devices: [DeviceID: DeviceRecord] = [:]
    public private(set) var policies: [String: AccessPolicy] = [:]
    public private(set) var certificateAuthorities: [String: RegisteredCertificateAuthority] = [:]

    public init(
        devices: [DeviceRecord] = [],
        policies: [AccessPolicy] = [],
        certificateAuthorities: [RegisteredCertificateAuthority] = []
    ) {
        for device in devices { self.devices[device.id] = device }
        for policy in policies { self.policies[policy.name] = policy }
        for authority in certificateAuthorities { self.certificateAuthorities[authority.name] = authority }
    }

    public subscript(id: DeviceID) -> DeviceRecord? { devices[id] }

    /// Adds or replaces a device.
    public mutating func upsert(_ device: DeviceRecord) { devices[device.id] = device }

    /// Removes a device; returns whether it existed.
    @discardableResult
    public mutating func remove(_ id: DeviceID) -> Bool { devices.removeValue(forKey: id) != nil }

    /// Adds or replaces a policy.
    public mutating func upsert(_ policy: AccessPolicy) { policies[policy.name] = policy }

    /// Adds or replaces a certificate authority (by name).
    public mutating func upsert(_ authority: RegisteredCertificateAuthority) { certificateAuthorities[authority.name] = authority }
}
