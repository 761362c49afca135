import IoTHubCore
import IoTHubSimulationCore
import MQTTCore
import NIOCore

/// Shared values for hub tests: a hub host, a registered device, and CONNECT packets with
/// good or broken credentials.
public enum HubFixtures {
    public static let hostName = "test.azure-devices.net"
    public static let deviceID = deviceIDLiteral("esp8266")
    public static let key = DeviceKey(bytes: Array(0..<32))
    public static let start = HubTime(unixSeconds: 1_800_000_000)

    public static func deviceIDLiteral(_ text: String) -> DeviceID {
        do { return try DeviceID(text) } catch { preconditionFailure("\(error)") }
    }

    public static func machine(configuration: HubConfiguration = HubConfiguration(hostName: hostName)) -> HubStateMachine {
        HubStateMachine(configuration: configuration, registry: DeviceRegistry(devices: [DeviceRecord(id: deviceID, primaryKey: key)]))
    }

    public static func connect(
        clientID: String = "esp8266",
        device: String = "esp8266",
        username: String? = nil,
        key: DeviceKey = HubFixtures.key,
        expiry: Int64 = HubFixtures.start.unixSeconds + 3600,
        cleanSession: Bool = false,
        keepAlive: UInt16 = 4000,
        level: UInt8 = 4,
        will: ConnectPacket.Will? = nil
    ) -> ConnectPacket {
        let token = SASToken.make(resource: "\(hostName)/devices/\(device)", key: key, expiry: expiry)
        return ConnectPacket(
            protocolLevel: level,
            clientID: clientID,
            cleanSession: cleanSession,
            keepAlive: keepAlive,
            will: will,
            username: username ?? "\(hostName)/\(device)/?api-version=2018-06-30",
            password: ByteBuffer(string: token.rendered)
        )
    }

    public static let deviceboundFilter = topicFilter("devices/esp8266/messages/devicebound/#")
}

extension [HubStateMachine.Action] {
    /// The packets sent, in order.
    public var sentPackets: [MQTTPacket] {
        compactMap { if case .send(let packet, _) = $0 { packet } else { nil } }
    }

    public var closes: [ConnectionID] {
        compactMap { if case .close(let id) = $0 { id } else { nil } }
    }

    /// Connections reset (TCP RST), in order.
    public var resets: [ConnectionID] {
        compactMap { if case .reset(let id) = $0 { id } else { nil } }
    }

    public var events: [HubEvent] {
        compactMap { if case .emit(let event) = $0 { event } else { nil } }
    }

    public var disconnectReasons: [DisconnectReason] {
        events.compactMap { if case .disconnected(_, _, let reason) = $0 { reason } else { nil } }
    }
}
