import MQTTCore
import NIOCore

/// Every packet a session sends is made here, from the session's own values
/// (``ConnectOptions``, ``ApplicationMessage``, subscriptions), by the protocol version the
/// session speaks: one place where MQTT 3.1.1 and 5.0 differ in what the client writes. MQTT
/// 3.1.1 packets carry no properties or reason codes (``MQTTProtocolVersion/refusal(carrying:)``
/// refuses an operation that asks for them before anything is built).
extension MQTTProtocolVersion {
    /// The CONNECT for `options`, with the clean-session (5.0: Clean Start) flag and password
    /// of this attempt.
    func connect(_ options: ConnectOptions, cleanSession: Bool, password: ByteBuffer?) -> MQTTPacket {
        switch self {
        case .v311:
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
        case .v5:
            return .connect(
                ConnectPacket(
                    protocolLevel: protocolLevel,
                    clientID: options.clientID,
                    cleanSession: cleanSession,
                    keepAlive: options.keepAlive,
                    will: options.will,
                    username: options.username,
                    password: password,
                    properties: options.properties
                )
            )
        }
    }

    /// A PUBLISH of `message` (with its properties in 5.0); `packetID` is `nil` exactly at QoS 0.
    func publish(_ message: ApplicationMessage, packetID: UInt16?) -> MQTTPacket {
        .publish(
            PublishPacket(
                topic: message.topic,
                payload: message.payload,
                qos: message.qos,
                packetID: packetID,
                retain: message.retain,
                properties: self == .v5 ? message.properties : .none
            )
        )
    }

    /// A SUBSCRIBE; in 5.0 with the subscription options and `properties`.
    func subscribe(_ subscriptions: [SubscribePacket.Subscription], properties: MQTTProperties, packetID: UInt16) -> MQTTPacket {
        switch self {
        case .v311: .subscribe(SubscribePacket(packetID: packetID, subscriptions: subscriptions))
        case .v5: .subscribe(SubscribePacket(packetID: packetID, subscriptions: subscriptions, properties: properties))
        }
    }

    /// An UNSUBSCRIBE; in 5.0 with `properties`.
    func unsubscribe(_ filters: [TopicFilter], properties: MQTTProperties, packetID: UInt16) -> MQTTPacket {
        switch self {
        case .v311: .unsubscribe(UnsubscribePacket(packetID: packetID, filters: filters))
        case .v5: .unsubscribe(UnsubscribePacket(packetID: packetID, filters: filters, properties: properties))
        }
    }

    // The acknowledgements and PINGREQ: the same bytes in both versions (a 5.0
    // acknowledgement with Success and no properties leaves both out).

    /// The acknowledgement of a received QoS 1 PUBLISH.
    func puback(_ packetID: UInt16) -> MQTTPacket { .puback(packetID: packetID) }
    /// The first acknowledgement of a received QoS 2 PUBLISH.
    func pubrec(_ packetID: UInt16) -> MQTTPacket { .pubrec(packetID: packetID) }
    /// The release of an outgoing QoS 2 PUBLISH, after its PUBREC.
    func pubrel(_ packetID: UInt16) -> MQTTPacket { .pubrel(packetID: packetID) }
    /// The last acknowledgement of a received QoS 2 PUBLISH, answering PUBREL.
    func pubcomp(_ packetID: UInt16) -> MQTTPacket { .pubcomp(packetID: packetID) }
    var pingreq: MQTTPacket { .pingreq }
    /// A plain DISCONNECT: 3.1.1's, and 5.0's normal disconnection.
    var disconnect: MQTTPacket { .disconnect }

    /// A DISCONNECT with a reason and properties (5.0); 3.1.1 has only the plain one.
    func disconnect(_ reasonCode: MQTTReasonCode, properties: MQTTProperties) -> MQTTPacket {
        switch self {
        case .v311: .disconnect
        case .v5: .disconnect(DisconnectPacket(reasonCode: reasonCode, properties: properties))
        }
    }

    /// An AUTH (5.0 only) with `reasonCode`, the authentication method and `data`.
    func auth(_ reasonCode: MQTTReasonCode, method: String, data: ByteBuffer?) -> MQTTPacket {
        var properties = MQTTProperties()
        // A method or data too long for the wire cannot be sent; the server then refuses
        // the AUTH it gets without them.
        try? properties.append(.authenticationMethod(method))
        if let data { try? properties.append(.authenticationData(data)) }
        return .auth(AuthPacket(reasonCode: reasonCode, properties: properties))
    }

    /// Why an operation that carries MQTT 5.0 content cannot be sent in this version; `nil`
    /// when it can.
    func refusal(carrying properties: MQTTProperties, what: String) -> String? {
        guard self == .v311, !properties.isEmpty else { return nil }
        return "\(what) carries MQTT 5.0 properties (\(properties.summary)), and the client speaks MQTT 3.1.1"
    }
}
