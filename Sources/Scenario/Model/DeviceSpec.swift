import Devices
import IoTHubCore
import MQTTCore

/// A device under test: who it is and how it authenticates, the same for every kind, and the
/// settings of its kind. A process device cannot carry a serial port, nor a client a profile:
/// each kind's settings live in its case of ``Settings``.
public struct DeviceSpec: Sendable, Hashable {
    /// How the device is realised (the `kind:` key).
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

    /// The settings of the device's kind.
    public enum Settings: Sendable, Hashable {
        /// The device model and the client it imitates.
        case simulated(SimulatedSettings)
        /// The command that runs the firmware, and how the harness reads and reaches it.
        case process(ProcessSettings, FirmwareSettings)
        /// The board's port and program, and how the harness reads and reaches it.
        case serial(SerialSettings, FirmwareSettings)
        /// The generic client's will, acknowledgements and pings.
        case client(ClientSettings)

        /// The kind these settings are for.
        public var kind: Kind {
            switch self {
            case .simulated: .simulated
            case .process: .process
            case .serial: .serial
            case .client: .client
            }
        }

        /// A kind's settings before the scenario gives any: a process device still needs its
        /// command and a board its port.
        /// - Parameter folder: the scenario file's folder, where a process runs by default.
        public static func defaults(for kind: Kind, folder: String) -> Settings {
            switch kind {
            case .simulated: .simulated(SimulatedSettings())
            case .process: .process(ProcessSettings(command: "", workingDirectory: folder), FirmwareSettings())
            case .serial: .serial(SerialSettings(port: ""), FirmwareSettings())
            case .client: .client(ClientSettings())
            }
        }
    }

    /// How a `simulated` device behaves on the wire.
    public struct SimulatedSettings: Sendable, Hashable {
        /// The client it imitates (`profile`). Default: `umqtt-simple`, the seed's.
        public var profile: DeviceProfile
        /// Keep-alive pinging on or off (`keepalive_pings`); `nil`: the profile's default.
        public var sendsPings: Bool?
        /// How long before expiry a renewing profile (`sdk`) renews its token
        /// (`renewal_margin`); `nil`: the profile's default.
        public var renewalMargin: Duration?

        public init(profile: DeviceProfile = .umqttSimple, sendsPings: Bool? = nil, renewalMargin: Duration? = nil) {
            self.profile = profile
            self.sendsPings = sendsPings
            self.renewalMargin = renewalMargin
        }
    }

    /// How a `process` device runs its firmware.
    public struct ProcessSettings: Sendable, Hashable {
        /// The program; empty when `runtime` names the interpreter instead.
        public var command: String
        /// An interpreter the harness finds (`runtime: micropython`) instead of `command`.
        public var runtime: FirmwareRuntime?
        public var arguments: [String] = []
        public var environment: [String: String] = [:]
        /// Absolute; the scenario file's folder unless the file says otherwise.
        public var workingDirectory: String

        public init(command: String, runtime: FirmwareRuntime? = nil, arguments: [String] = [], environment: [String: String] = [:], workingDirectory: String) {
            self.command = command
            self.runtime = runtime
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
        /// No soft reset before or between runs (`resume`, as mpremote's).
        public var resume = false

        public init(port: String, baud: Int = 115_200, firmware: String? = nil, config: [String: String] = [:], resume: Bool = false) {
            self.port = port
            self.baud = baud
            self.firmware = firmware
            self.config = config
            self.resume = resume
        }
    }

    /// What `process` and `serial` devices share: firmware the harness does not own, read
    /// from its output and reached through what it is given.
    public struct FirmwareSettings: Sendable, Hashable {
        /// How to read the LED and the state from the output (`led`, `ready`, `connected`).
        public var output: FirmwareOutputConfiguration
        /// The hub's root certificate file offered to the firmware (`${CA_FILE}`); absolute.
        public var caFile: String?
        /// Where the tap proxy for this device listens (`tap: host:port`, port 0 picks one);
        /// the device is told to connect there. Process devices on a plain broker get one on
        /// 127.0.0.1 without asking; a board needs an address of this machine it can reach.
        public var tapAddress: TapAddress?

        public init(output: FirmwareOutputConfiguration = FirmwareOutputConfiguration(), caFile: String? = nil, tapAddress: TapAddress? = nil) {
            self.output = output
            self.caFile = caFile
            self.tapAddress = tapAddress
        }
    }

    /// How a `client` device behaves.
    public struct ClientSettings: Sendable, Hashable {
        /// The will sent with CONNECT (`will`).
        public var will: WillSpec?
        /// Whether received QoS 1 and 2 messages are acknowledged (`auto_ack`). Default: true.
        public var acknowledgesMessages: Bool
        /// Whether it sends PINGREQ within its keep-alive (`keepalive_pings`). Default: true.
        public var sendsPings: Bool

        public init(will: WillSpec? = nil, acknowledgesMessages: Bool = true, sendsPings: Bool = true) {
            self.will = will
            self.acknowledgesMessages = acknowledgesMessages
            self.sendsPings = sendsPings
        }
    }

    /// The will of a `client` device (`will: { topic, payload, qos, retain }`).
    public struct WillSpec: Sendable, Hashable {
        public var topic: TopicName
        public var payload: String
        public var qos: MQTTQoS
        public var retain: Bool
        /// MQTT 5.0 will properties (will_delay_interval, message_expiry_interval, ...).
        public var properties: MQTTProperties

        public init(topic: TopicName, payload: String, qos: MQTTQoS = .atMostOnce, retain: Bool = false, properties: MQTTProperties = .none) {
            self.topic = topic
            self.payload = payload
            self.qos = qos
            self.retain = retain
            self.properties = properties
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

    /// A tap proxy's listening address.
    public struct TapAddress: Sendable, Hashable {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    public var id: DeviceID
    /// The fleet the device is a member of (its name), `nil` for a device of its own.
    public var fleet: String?
    /// The settings of the device's kind.
    public var settings: Settings
    /// The device's primary key (base64); generated for the run when absent. Secret.
    public var key: DeviceKey?
    /// A fixed password the device presents instead of a minted token, as the seed firmware
    /// pastes one in. Secret.
    public var token: String?
    /// Lifetime of the SAS token minted for the device. Default: 1 hour.
    public var tokenTTL: Duration
    /// The `api-version` in the device's user name. Default: `2018-06-30`, as in the seed.
    public var apiVersion: String
    /// A token service instead of minted tokens (`token_service: { url, key }`).
    public var tokenService: TokenServiceSpec?
    /// The simulated hub's own token endpoint instead (`token_service: hub`); the run fills
    /// in ``tokenService`` when it starts the hub.
    public var tokenServiceFromHub = false
    /// The MQTT client id the device presents instead of its device id (`client_id`).
    public var clientID: String?
    /// The user name the device presents instead of the IoT Hub one (`username`); on a
    /// generic broker the device sends none unless this is set.
    public var username: String?
    /// The password the device presents instead of a SAS token (`password`). Secret.
    public var password: String?
    /// The simulated hub's root certificates the device trusts over TLS (`trusted_roots`).
    /// Default: ``TrustedRoots/current``.
    public var trustedRoots = TrustedRoots.current
    /// The device's X.509 certificate and its key (PEM files, `cert_file`/`key_file`): it
    /// presents them in the TLS handshake and sends no SAS token.
    public var certificateFile: String?
    public var keyFile: String?
    /// How the device's MQTT travels (`transport`): directly on TCP or TLS, or over WebSockets.
    /// Default: ``Transport/mqtt``.
    public var transport = Transport.mqtt
    /// The MQTT version the device speaks (`protocol: 5`); default 3.1.1. Only a `client`
    /// device speaks 5.0 (``DeviceParser`` refuses it on the other kinds).
    public var protocolVersion = MQTTProtocolVersion.v311

    /// How a simulated device or client carries MQTT to the hub.
    public enum Transport: String, Sendable, Hashable, CaseIterable {
        /// MQTT on TCP or TLS (8883 on the real hub).
        case mqtt
        /// MQTT over WebSockets: `wss://<host>/$iothub/websocket` (443 on the real hub).
        case websockets
    }

    /// Which of the simulated hub's roots a device trusts: the one it starts with, the one a
    /// `ca_rotation` fault moves it to, or both (a device updated before the rotation, as IoT
    /// Hub asked of devices before its 2023 move to DigiCert Global Root G2).
    public enum TrustedRoots: String, Sendable, Hashable, CaseIterable {
        /// The hub's root at start (`ca.pem`).
        case current
        /// Only the next root (`ca-next.pem`): it fails until the rotation.
        case next
        /// Both (`ca-bundle.pem`).
        case both
    }

    /// How the device is realised.
    public var kind: Kind { settings.kind }

    /// The settings `process` and `serial` devices share; `nil` for the other kinds.
    public var firmware: FirmwareSettings? {
        switch settings {
        case .process(_, let firmware), .serial(_, let firmware): firmware
        case .simulated, .client: nil
        }
    }

    public init(
        id: DeviceID,
        settings: Settings = .simulated(SimulatedSettings()),
        key: DeviceKey? = nil,
        token: String? = nil,
        tokenTTL: Duration = .seconds(3600),
        apiVersion: String = "2018-06-30"
    ) {
        self.id = id
        self.settings = settings
        self.key = key
        self.token = token
        self.tokenTTL = tokenTTL
        self.apiVersion = apiVersion
    }
}
