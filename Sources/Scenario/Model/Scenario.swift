import Devices
import IoTHubCore

/// A loaded, validated scenario: what to run it against and the steps to run.
public struct Scenario: Sendable {
    public var name: String
    public var description: String?
    /// The file it was loaded from.
    public var path: String
    public var hub: HubTarget
    public var device: DeviceSpec
    public var steps: [Step]

    public init(name: String, description: String? = nil, path: String, hub: HubTarget, device: DeviceSpec, steps: [Step]) {
        self.name = name
        self.description = description
        self.path = path
        self.hub = hub
        self.device = device
        self.steps = steps
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

/// The device under test.
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
