import MQTTCore
import NIOCore

/// The MQTT protocol version a session speaks.
///
/// Only 3.1.1 exists today. Every packet a session sends is made here, from the session's own
/// values (``ConnectOptions``, ``ApplicationMessage``, subscriptions), so a later version (MQTT
/// 5, with properties and reason codes) changes this one place, not the session's rules.
public enum MQTTProtocolVersion: Sendable, Hashable, CustomStringConvertible {
    /// MQTT 3.1.1 (OASIS standard, protocol level 4).
    case v3_1_1

    public var description: String {
        switch self {
        case .v3_1_1: "3.1.1"
        }
    }

    /// The CONNECT for `options`, with the clean-session flag and password of this attempt.
    func connect(_ options: ConnectOptions, cleanSession: Bool, password: ByteBuffer?) -> MQTTPacket {
        switch self {
        case .v3_1_1:
            return .connect(
                ConnectPacket(
                    clientID: options.clientID,
                    cleanSession: cleanSession,
                    keepAlive: options.keepAlive,
                    will: options.will,
                    username: options.username,
                    password: password
                )
            )
        }
    }

    /// A PUBLISH of `message`; `packetID` is `nil` exactly at QoS 0.
    func publish(_ message: ApplicationMessage, packetID: UInt16?) -> MQTTPacket {
        switch self {
        case .v3_1_1:
            .publish(PublishPacket(topic: message.topic, payload: message.payload, qos: message.qos, packetID: packetID, retain: message.retain))
        }
    }

    func subscribe(_ subscriptions: [SubscribePacket.Subscription], packetID: UInt16) -> MQTTPacket {
        switch self {
        case .v3_1_1: .subscribe(SubscribePacket(packetID: packetID, subscriptions: subscriptions))
        }
    }

    func unsubscribe(_ filters: [TopicFilter], packetID: UInt16) -> MQTTPacket {
        switch self {
        case .v3_1_1: .unsubscribe(UnsubscribePacket(packetID: packetID, filters: filters))
        }
    }

    // The acknowledgements, PINGREQ and DISCONNECT: the same in every version this session
    // speaks (MQTT 5 adds reason codes and properties here).

    /// The acknowledgement of a received QoS 1 PUBLISH.
    func puback(_ packetID: UInt16) -> MQTTPacket { .puback(packetID: packetID) }
    /// The first acknowledgement of a received QoS 2 PUBLISH.
    func pubrec(_ packetID: UInt16) -> MQTTPacket { .pubrec(packetID: packetID) }
    /// The release of an outgoing QoS 2 PUBLISH, after its PUBREC.
    func pubrel(_ packetID: UInt16) -> MQTTPacket { .pubrel(packetID: packetID) }
    /// The last acknowledgement of a received QoS 2 PUBLISH, answering PUBREL.
    func pubcomp(_ packetID: UInt16) -> MQTTPacket { .pubcomp(packetID: packetID) }
    var pingreq: MQTTPacket { .pingreq }
    var disconnect: MQTTPacket { .disconnect }
}
