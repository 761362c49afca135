import Devices
import Foundation
import MQTTClient
import MQTTCore

/// The broker or cloud a scenario runs against.
public enum HubTarget: Sendable, Hashable, CustomStringConvertible {
    /// The embedded simulated IoT Hub, started for the run on free loopback ports.
    case simulated(SimulatedHubTarget)
    /// A generic MQTT broker (`mqtt://`, `mqtts://`): the harness plays the cloud side with a
    /// connection of its own and times packets at the devices.
    case broker(BrokerTarget)
    /// An Azure IoT Hub (`azure://NAME.azure-devices.net`), or anything that speaks its MQTT
    /// and service REST protocols (such as `harness hub`).
    case azure(AzureHubTarget)

    public static let defaultSimulatedHostName = "simulated.azure-devices.net"

    /// The simulated hub with its defaults (TLS, as the real hub).
    public static let simulatedDefault = HubTarget.simulated(SimulatedHubTarget())

    /// Whether the hub is the harness's own simulation, whose clock, credentials and inner
    /// state a scenario can act on and observe.
    public var isSimulated: Bool {
        if case .simulated = self { return true }
        return false
    }

    /// The IoT Hub host name devices put in their user names and tokens; `nil` for a generic
    /// broker.
    public var iotHubHostName: String? {
        switch self {
        case .simulated(let hub): hub.hostName
        case .azure(let hub): hub.hostName
        case .broker: nil
        }
    }

    /// `text` (a hub as given on a command line or in a file) with any `user:password@` part
    /// of a URL replaced by `***@`, for error messages.
    public static func redacted(_ text: String) -> String {
        guard let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].lastIndex(of: "@") else { return text }
        let authorityEnd = text[scheme.upperBound...].firstIndex { "/?#".contains($0) } ?? text.endIndex
        guard at < authorityEnd else { return text }
        return String(text[..<scheme.upperBound]) + "***" + String(text[at...])
    }

    /// `simulated`, `simulated+tcp`, `mqtt://127.0.0.1:1883`, `azure://NAME.azure-devices.net`:
    /// shown in reports; never holds a secret.
    public var description: String {
        switch self {
        case .simulated(let hub): hub.tls ? (hub.tlsProfile == .legacy ? "simulated (TLS profile legacy)" : "simulated") : "simulated+tcp"
        case .broker(let broker): broker.url
        case .azure(let hub): "azure://\(hub.hostName)"
        }
    }
}

/// How the run starts the simulated hub.
public struct SimulatedHubTarget: Sendable, Hashable {
    /// The hub's host name (in user names and token scopes).
    public var hostName: String
    /// Whether devices connect over TLS (the default, as on the real hub's port 8883) or plain
    /// TCP (`tls: false`).
    public var tls: Bool
    /// The CONNACK return code a CONNECT gets while a `throttle` fault is on: 5 (not
    /// authorized, the default) or 3 (server unavailable). Which one the real hub sends is
    /// unconfirmed.
    public var throttleConnAck: ConnectReturnCode
    /// What the hub's TLS accepts (`tls_profile`): `strict` (default, the real hub's) or
    /// `legacy`.
    public var tlsProfile = TLSProfile.strict
    /// A CA certificate (PEM) registered and verified on the hub (`x509_ca`): devices whose
    /// `cert_file` it signed are registered as CA-signed, the others by thumbprint.
    public var x509CAFile: String?
    /// The Device Provisioning Service the hub serves on its listener (`dps:`), if any.
    public var provisioning: ProvisioningSpec?

    /// The simulated hub's TLS profiles, by name (the hub's own ``HubTLSProfile`` is set from
    /// it when the run starts the hub).
    public enum TLSProfile: String, Sendable, Hashable, CaseIterable {
        /// The real hub's since August 2025: TLS 1.2 with ECDHE suites, or 1.3 with SNI.
        case strict
        /// Also TLS 1.0/1.1 and RSA key exchange, for boards that cannot do better.
        case legacy
    }

    public init(hostName: String = HubTarget.defaultSimulatedHostName, tls: Bool = true, throttleConnAck: ConnectReturnCode = .notAuthorized) {
        self.hostName = hostName
        self.tls = tls
        self.throttleConnAck = throttleConnAck
    }
}

/// A generic MQTT 3.1.1 broker.
public struct BrokerTarget: Sendable, Hashable {
    public var host: String
    public var port: Int
    /// TLS settings for `mqtts://` (devices and the harness's own connection); `nil` for
    /// plain TCP.
    public var tls: ClientTLS?
    /// The user name of the harness's own (cloud side) connection.
    public var username: String?
    /// Its password. Secret.
    public var password: String?

    public init(host: String, port: Int, tls: ClientTLS? = nil, username: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.tls = tls
        self.username = username
        self.password = password
    }

    /// `mqtt://host:port` or `mqtts://host:port`, without credentials.
    public var url: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(tls == nil ? "mqtt" : "mqtts")://\(shownHost):\(port)"
    }
}

/// An Azure IoT Hub: devices connect over MQTT/TLS, the cloud side sends C2D messages through
/// the service REST API (or a command, such as the Azure CLI).
public struct AzureHubTarget: Sendable, Hashable {
    /// `NAME.azure-devices.net`: in user names, token scopes and the service API's host.
    public var hostName: String
    /// Where devices connect; the host name and 8883 unless set (`address`).
    public var host: String
    public var port: Int
    /// The CA file devices trust; `nil` trusts the system's roots (right for the real hub).
    public var caFile: String?
    /// The service REST API's base URL; `https://<hostName>` unless set (`service_url`).
    public var serviceURL: String
    /// A service connection string (`HostName=...;SharedAccessKeyName=...;SharedAccessKey=...`)
    /// for the REST API. Secret. Read from `IOTHUB_SERVICE_CONNECTION_STRING` when the
    /// scenario does not give one.
    public var serviceConnectionString: String?
    /// A command that sends a C2D message instead of the REST API (`c2d_command`), as
    /// arguments with `${DEVICE_ID}`, `${PAYLOAD}`, `${HUB_NAME}`, `${HUB_HOSTNAME}` and
    /// `${MESSAGE_ID}` filled in.
    public var cloudToDeviceCommand: [String]?

    public init(
        hostName: String,
        host: String? = nil,
        port: Int = 8883,
        caFile: String? = nil,
        serviceURL: String? = nil,
        serviceConnectionString: String? = nil,
        cloudToDeviceCommand: [String]? = nil
    ) {
        self.hostName = hostName
        self.host = host ?? hostName
        self.port = port
        self.caFile = caFile
        self.serviceURL = serviceURL ?? "https://\(hostName)"
        self.serviceConnectionString = serviceConnectionString
        self.cloudToDeviceCommand = cloudToDeviceCommand
    }

    /// The hub's name: the first label of its host name.
    public var hubName: String { String(hostName.split(separator: ".").first ?? Substring(hostName)) }
}
