import Devices
import IoTHubCore
import MQTTClient

/// Where the devices of a run connect, and how.
struct DeviceEndpoint: Sendable, Hashable {
    var host: String
    var port: Int
    /// TLS settings for the devices' clients (firmware gets their CA as `${CA_FILE}`); `nil`
    /// for plain TCP.
    var tls: ClientTLS?
    /// The port serving MQTT over WebSockets (`/$iothub/websocket`, over TLS when ``tls`` is
    /// set), when the hub has one: the simulated hub always does.
    var webSocketPort: Int?
}

/// The hub side of a run: what the devices connect to and what plays the cloud. The simulated
/// hub, a generic MQTT broker and an Azure IoT Hub each have one; the session drives them
/// alike and asks the simulated one alone for what only a simulation can do.
protocol HubBackend: Sendable {
    /// Where devices connect.
    var endpoint: DeviceEndpoint { get }
    /// The IoT Hub host name devices put in user names and token scopes; `nil` for a generic
    /// broker (devices present only what their spec gives).
    var iotHubHostName: String? { get }
    /// The clock tokens are minted on (the simulated hub's, with its jumps, or the system's).
    var wallClock: any WallClock { get }
    /// Values the reports must mask (service keys, broker passwords).
    var secrets: [String] { get }

    /// The cloud sends a C2D message to `device`.
    /// - Returns: whether the hub or broker accepted it, refused it (with what it said), or
    ///   gave no verdict.
    func sendCloudToDevice(_ message: CloudToDeviceMessage, to device: DeviceID, timeout: Duration) async throws -> CloudToDeviceOutcome

    /// What only a simulated hub can do (move its clock, expire tokens, regenerate keys);
    /// `nil` for real brokers and hubs.
    var simulation: (any HubSimulationControls)? { get }

    /// Releases the backend's connections and listeners.
    func stop() async
}

extension HubBackend {
    var simulation: (any HubSimulationControls)? { nil }
}

/// The steps only a simulated hub can carry out. The loader refuses them on other targets, so
/// a session that finds no simulation says so as an error.
protocol HubSimulationControls: Sendable {
    /// Jumps the hub's clock forward and acts on every deadline that passes.
    func advanceClock(by duration: Duration) async throws
    /// Jumps the hub's clock to the end of the device's token (`expire_token`).
    /// - Returns: `false` when the device never connected, so it holds no token the hub knows.
    func expireToken(of device: DeviceID) async throws -> Bool
    /// Gives the device new keys and drops its live connection (`revoke`).
    func regenerateKeys(of device: DeviceID) async throws
    /// Starts a hub fault (``FaultKind/Family/hub``) for one device or, with `nil`, for every
    /// device, until ``endFault(_:device:)``. Its effects (connections dropped, CONNECTs
    /// refused) arrive as events on the run's record. A certificate fault
    /// (``FaultKind/Family/tls``, always hub-wide) swaps the certificate new TLS connections
    /// get.
    func startFault(_ fault: FaultKind, device: DeviceID?) async throws
    /// Ends the hub fault of this kind and exactly this scope.
    func endFault(_ fault: FaultKind, device: DeviceID?) async throws
    /// The PEM file of the hub's roots a device with `roots` trusts (`trusted_roots`).
    /// - Throws: when the hub serves no TLS or has no such file.
    func rootCertificateFile(_ roots: DeviceSpec.TrustedRoots) throws -> String
}
