import IoTHubCore

/// The Device Provisioning Service a simulated hub serves on its MQTT listener, as a
/// scenario's `hub: { dps: { ... } }` describes it: an ID scope, individual enrollments and
/// enrollment groups, each attesting with symmetric keys or X.509.
public struct ProvisioningSpec: Sendable, Hashable {
    /// How an enrollment's devices prove who they are.
    public enum Attestation: Sendable, Hashable {
        /// A registration SAS token signed with one of these keys (for a group, with the key
        /// derived from one of them for the registration id). Secret.
        case symmetricKey(primary: DeviceKey, secondary: DeviceKey?)
        /// An individual enrollment: the device's own certificate (its thumbprint is taken
        /// from this PEM file).
        case certificate(file: String)
        /// An enrollment group: certificates chaining to this CA (a PEM file).
        case certificateAuthority(file: String)

        /// `symmetric_key` or `x509`, as scenarios spell it.
        public var name: String {
            switch self {
            case .symmetricKey: "symmetric_key"
            case .certificate, .certificateAuthority: "x509"
            }
        }
    }

    /// One registration id and how it attests.
    public struct Enrollment: Sendable, Hashable {
        public var registrationID: String
        public var attestation: Attestation
        /// `enabled: false`: its registrations end `disabled`.
        public var isEnabled = true

        public init(registrationID: String, attestation: Attestation) {
            self.registrationID = registrationID
            self.attestation = attestation
        }
    }

    /// A named group any registration id may join by attesting as the group says.
    public struct Group: Sendable, Hashable {
        public var name: String
        public var attestation: Attestation
        /// `enabled: false`: its members' registrations end `disabled`.
        public var isEnabled = true

        public init(name: String, attestation: Attestation) {
            self.name = name
            self.attestation = attestation
        }
    }

    /// The ID scope devices name in their user name and token.
    public var idScope: String
    public var enrollments: [Enrollment]
    public var groups: [Group]
    /// The `retry-after` (seconds) of the service's 202 answers. Default 3, as the real
    /// service sends.
    public var retryAfterSeconds: Int
    /// How long a registration stays `assigning` on the hub's clock. Default 0.
    public var assignmentDelay: Duration

    public init(idScope: String, enrollments: [Enrollment] = [], groups: [Group] = [], retryAfterSeconds: Int = 3, assignmentDelay: Duration = .zero) {
        self.idScope = idScope
        self.enrollments = enrollments
        self.groups = groups
        self.retryAfterSeconds = retryAfterSeconds
        self.assignmentDelay = assignmentDelay
    }

    /// The enrollment of `registrationID`, if it has one of its own.
    public func enrollment(for registrationID: String) -> Enrollment? {
        enrollments.first { $0.registrationID == registrationID }
    }

    /// The group named `name`.
    public func group(named name: String) -> Group? {
        groups.first { $0.name == name }
    }

    /// Every key the reports must mask.
    public var secretValues: [String] {
        (enrollments.map(\.attestation) + groups.map(\.attestation)).flatMap { attestation -> [String] in
            guard case .symmetricKey(let primary, let secondary) = attestation else { return [] }
            return [primary.base64] + (secondary.map { [$0.base64] } ?? [])
        }
    }
}

/// A `provision` step: the device registers with the scenario's Device Provisioning Service,
/// then connects to the hub it was assigned with what the service returned.
public struct ProvisionSpec: Sendable, Hashable {
    /// The enrollment group whose key the device's key is derived from (`group: NAME`); `nil`
    /// for the device's own enrollment, or the only symmetric-key group.
    public var group: String?
    /// A key the device signs its registration token with instead of the one its enrollment
    /// gives (to test a refusal). Secret.
    public var key: DeviceKey?
    /// The ID scope the device names, when not the scenario's (to test an unknown scope).
    public var idScope: String?
    /// The service must not assign the device (`refused:`): any error answer or a `failed` or
    /// `disabled` end, or an error answer with this status. Being assigned then fails the step.
    public var refusal: Refusal?

    /// A refusal a step expects.
    public enum Refusal: Sendable, Hashable {
        case any
        case status(Int)
    }

    public init(group: String? = nil, key: DeviceKey? = nil, idScope: String? = nil, refusal: Refusal? = nil) {
        self.group = group
        self.key = key
        self.idScope = idScope
        self.refusal = refusal
    }

    /// `group=thermostats`, `key=***`: for step titles; never shows a secret.
    public var summary: String {
        var parts: [String] = []
        if let group { parts.append("group=\(group)") }
        if key != nil { parts.append("key=***") }
        if let idScope { parts.append("id_scope=\(idScope)") }
        switch refusal {
        case .any: parts.append("refused")
        case .status(let status): parts.append("refused=\(status)")
        case nil: break
        }
        return parts.isEmpty ? "" : " " + parts.joined(separator: " ")
    }
}
