import IoTHubCore

/// A symmetric-key individual enrollment of the simulated Device Provisioning Service: one
/// registration id with its own keys. The device it provisions gets these keys on the hub.
public struct IndividualEnrollment: Sendable, Hashable {
    /// The registration id (also the device id the hub gets).
    public var registrationID: RegistrationID
    /// Secret.
    public var primaryKey: DeviceKey
    /// Secret; `nil` when the enrollment has one key only.
    public var secondaryKey: DeviceKey?
    /// A disabled enrollment's registrations end `disabled`. Default: enabled.
    public var isEnabled = true

    public init(registrationID: RegistrationID, primaryKey: DeviceKey, secondaryKey: DeviceKey? = nil) {
        self.registrationID = registrationID
        self.primaryKey = primaryKey
        self.secondaryKey = secondaryKey
    }

    /// The keys a registration token may be signed with, primary first.
    public var keys: [DeviceKey] { [primaryKey] + (secondaryKey.map { [$0] } ?? []) }
}

/// A symmetric-key enrollment group: any registration id whose token is signed with a key
/// derived from the group key (``DeviceKey/derived(fromGroupKey:registrationID:)``), as the
/// SDKs derive it.
public struct GroupEnrollment: Sendable, Hashable {
    /// The group's name (shown in events; never a secret).
    public var name: String
    /// Secret.
    public var primaryKey: DeviceKey
    /// Secret; `nil` when the group has one key only.
    public var secondaryKey: DeviceKey?
    /// A disabled enrollment's registrations end `disabled`. Default: enabled.
    public var isEnabled = true

    public init(name: String, primaryKey: DeviceKey, secondaryKey: DeviceKey? = nil) {
        self.name = name
        self.primaryKey = primaryKey
        self.secondaryKey = secondaryKey
    }

    /// The keys a member's registration token may be signed with: each group key derived for
    /// `registrationID`, primary first.
    public func deviceKeys(for registrationID: RegistrationID) -> [DeviceKey] {
        ([primaryKey] + (secondaryKey.map { [$0] } ?? [])).map {
            DeviceKey.derived(fromGroupKey: $0, registrationID: registrationID.string)
        }
    }
}

/// The simulated Device Provisioning Service that shares the hub's MQTT listener: a CONNECT
/// whose user name is `{idScope}/registrations/{registrationId}/...` is served by it.
public struct ProvisioningConfiguration: Sendable, Hashable {
    /// The DPS instance's ID scope (`0ne...` on Azure).
    public var idScope: String
    public var individualEnrollments: [IndividualEnrollment]
    public var groupEnrollments: [GroupEnrollment]
    /// Devices that attest with their own certificate, by thumbprint.
    public var x509IndividualEnrollments: [X509IndividualEnrollment] = []
    /// Devices that attest with a certificate chaining to a CA.
    public var x509GroupEnrollments: [X509GroupEnrollment] = []
    /// How long an operation stays `assigning` after the registration request, on the hub's
    /// clock. Default: 0 (the first status poll finds it assigned; the request itself is
    /// always answered 202 `assigning`, as the real service does).
    public var assignmentDelay: Duration
    /// The `retry-after` (seconds) of every 202 answer. Default: 3, the value the real service
    /// sends.
    public var retryAfterSeconds: Int

    public init(
        idScope: String,
        individualEnrollments: [IndividualEnrollment] = [],
        groupEnrollments: [GroupEnrollment] = [],
        assignmentDelay: Duration = .zero,
        retryAfterSeconds: Int = 3
    ) {
        self.idScope = idScope
        self.individualEnrollments = individualEnrollments
        self.groupEnrollments = groupEnrollments
        self.assignmentDelay = assignmentDelay
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// Whether `scope` can be an ID scope: 1 to 64 letters and digits (Azure makes
    /// `0ne` followed by 8 hex digits).
    public static func isValidIDScope(_ scope: String) -> Bool {
        !scope.isEmpty && scope.utf8.count <= 64 && scope.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
        }
    }
}
