import Devices
import IoTHubCore
import MQTTCore

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
    /// The `finally:` steps: cleanup that runs after ``steps`` whatever happened in them
    /// (numbered on from the last step).
    public var finallySteps: [Step] = []
    /// Values of variables marked secret, masked in every output.
    public var secretValues: [String]
    /// The normative statements the scenario's steps check (`statements:`, for example
    /// `MQTT-3.1.2-24`), each once, in the file's order; empty when it names none.
    public var statements: [String] {
        var seen: Set<String> = []
        return (steps + finallySteps).flatMap(\.statements).filter { seen.insert($0).inserted }
    }

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

/// A device under test.
public struct DeviceSpec: Sendable, Hashable {
    /// How the device is realised.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// An in-process device model (``Devices/SimulatedDevice``).
        case simulated
        /// Firmware running as a process on this machine (``Devices/ProcessDevice``).
        case process
        /// A MicroPython board on a serial port (``Devices/SerialDevice``).
        case serial
        /// A full MQTT 3.1.1 client that can also send raw bytes (``Devices/GenericClient``).
        case client
    }

    /// The will of a `client` device (`will: { topic, payload, qos, retain }`).
    public struct WillSpec: Sendable, Hashable {
        public var topic: TopicName
        public var payload: String
        public var qos: MQTTQoS
        public var retain: Bool

        public init(topic: TopicName, payload: String, qos: MQTTQoS = .atMostOnce, retain: Bool = false) {
            self.topic = topic
            self.payload = payload
            self.qos = qos
            self.retain = retain
        }
    }

    /// How a `process` device runs its firmware.
    public struct ProcessSettings: Sendable, Hashable {
        public var command: String
        public var arguments: [String] = []
        public var environment: [String: String] = [:]
        /// Absolute; the scenario file's folder unless the file says otherwise.
        public var workingDirectory: String

        public init(command: String, arguments: [String] = [], environment: [String: String] = [:], workingDirectory: String) {
            self.command = command
            self.arguments = arguments
            self.environment = environment
            self.workingDirectory = workingDirectory
        }
    }

    /// Where a `serial` board is and what it runs.
    public struct SerialSettings: Sendable, Hashable {
        public var port: String
        public var baud: Int = 115_200
        /// The firmware file uploaded and run (absolute).
        public var firmware: String?
        /// Extra values of the firmware's `config` module (for example `WIFI_SSID`).
        public var config: [String: String] = [:]

        public init(port: String, baud: Int = 115_200, firmware: String? = nil, config: [String: String] = [:]) {
            self.port = port
            self.baud = baud
            self.firmware = firmware
            self.config = config
        }
    }

    /// A token service the device gets its tokens from.
    public struct TokenServiceSpec: Sendable, Hashable {
        public var url: String
        /// The `x-functions-key`. Secret.
        public var key: String

        public init(url: String, key: String) {
            self.url = url
            self.key = key
        }
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
    /// Keep-alive pinging on or off (`keepalive_pings`); `nil`: the profile's default.
    public var sendsPings: Bool?
    /// How long before expiry a renewing profile (`sdk`) renews its token; `nil`: the
    /// profile's default.
    public var renewalMargin: Duration?
    /// A token service instead of minted tokens (`token_service: { url, key }`).
    public var tokenService: TokenServiceSpec?
    /// The simulated hub's own token endpoint instead (`token_service: hub`); the run fills
    /// in ``tokenService`` when it starts the hub.
    public var tokenServiceFromHub = false
    /// Kind `process`: the command to run.
    public var process: ProcessSettings?
    /// Kind `serial`: the board.
    public var serial: SerialSettings?
    /// Kinds `process` and `serial`: how to read the LED and the state from the output.
    public var output: FirmwareOutputConfiguration = FirmwareOutputConfiguration()
    /// The hub's root certificate file offered to firmware (`${CA_FILE}`); absolute.
    public var caFile: String?
    /// The MQTT client id the device presents instead of its device id (`client_id`).
    public var clientID: String?
    /// The user name the device presents instead of the IoT Hub one (`username`); on a
    /// generic broker the device sends none unless this is set.
    public var username: String?
    /// The password the device presents instead of a SAS token (`password`). Secret.
    public var password: String?
    /// Where the tap proxy for this device listens (`tap: host:port`, port 0 picks one); the
    /// device is told to connect there. Process devices on a plain broker get one on
    /// 127.0.0.1 without asking; a board needs an address of this machine it can reach.
    public var tapAddress: TapAddress?

    /// A tap proxy's listening address.
    public struct TapAddress: Sendable, Hashable {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }
    /// Kind `client`: the will sent with CONNECT.
    public var will: WillSpec?
    /// Kind `client`: whether received QoS 1 and 2 messages are acknowledged (`auto_ack`).
    public var autoAck: Bool = true

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
