import Devices
import IoTHubCore

/// A loaded, validated scenario: the devices, the targets to run against, and the steps.
public struct Scenario: Sendable {
    public var name: String
    public var description: String?
    /// The file it was loaded from.
    public var path: String
    /// What to run against; the scenario runs once per target. Never empty.
    public var targets: [ScenarioTarget]
    /// The steps, shared by every target.
    public var steps: [Step]
    /// Values of variables marked secret, masked in every output.
    public var secretValues: [String]

    public init(
        name: String,
        description: String? = nil,
        path: String,
        targets: [ScenarioTarget],
        steps: [Step],
        secretValues: [String] = []
    ) {
        self.name = name
        self.description = description
        self.path = path
        self.targets = targets
        self.steps = steps
        self.secretValues = secretValues
    }

    /// The devices of the first target (every target has the same ids).
    public var devices: [DeviceSpec] { targets.first?.devices ?? [] }

    /// The only device, for single-device scenarios.
    public var device: DeviceSpec? { devices.count == 1 ? devices.first : nil }
}

/// One run configuration: which hub, and the devices as this target realises them.
public struct ScenarioTarget: Sendable, Hashable {
    /// Shown in reports: `c2d-led [simulated]`.
    public var name: String
    public var hub: HubTarget
    public var devices: [DeviceSpec]

    public init(name: String, hub: HubTarget, devices: [DeviceSpec]) {
        self.name = name
        self.hub = hub
        self.devices = devices
    }
}

/// The broker or cloud a scenario runs against.
public enum HubTarget: Sendable, Hashable, CustomStringConvertible {
    /// The embedded simulated IoT Hub, started for the run on a free loopback port.
    case simulated(hostName: String)

    public static let defaultSimulatedHostName = "simulated.azure-devices.net"

    public var description: String {
        switch self {
        case .simulated: "simulated"
        }
    }
}

/// A device under test.
public struct DeviceSpec: Sendable, Hashable {
    /// How the device is realised.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// An in-process device model (``Devices/SimulatedDevice``).
        case simulated
    }

    public var id: DeviceID
    public var kind: Kind
    public var profile: DeviceProfile
    /// The device's primary key (base64); generated for the run when absent. Secret.
    public var key: DeviceKey?
    /// A fixed password the device presents instead of a minted token, as the seed firmware
    /// pastes one in. Secret.
    public var token: String?
    /// Lifetime of the SAS token minted for the device. Default: 1 hour.
    public var tokenTTL: Duration
    /// The `api-version` in the device's user name. Default: `2018-06-30`, as in the seed.
    public var apiVersion: String

    public init(
        id: DeviceID,
        kind: Kind = .simulated,
        profile: DeviceProfile = .umqttSimple,
        key: DeviceKey? = nil,
        token: String? = nil,
        tokenTTL: Duration = .seconds(3600),
        apiVersion: String = "2018-06-30"
    ) {
        self.id = id
        self.kind = kind
        self.profile = profile
        self.key = key
        self.token = token
        self.tokenTTL = tokenTTL
        self.apiVersion = apiVersion
    }
}
