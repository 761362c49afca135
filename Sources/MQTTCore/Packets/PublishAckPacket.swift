/// PUBACK, PUBREC, PUBREL or PUBCOMP (sections 3.4 to 3.7): the answers of the QoS 1 and 2
/// exchanges, which share one layout. MQTT 3.1.1 carries the packet identifier only; MQTT 5.0
/// adds a reason code and properties, both left out on the wire when they are Success and
/// empty.
public struct PublishAckPacket: Sendable, Hashable {
    public var packetID: UInt16
    /// MQTT 5.0 reason code; Success for MQTT 3.1.1.
    public var reasonCode: MQTTReasonCode
    /// MQTT 5.0 properties: Reason String, User Properties. Empty for MQTT 3.1.1.
    public var properties: MQTTProperties

    public init(packetID: UInt16, reasonCode: MQTTReasonCode = .success, properties: MQTTProperties = .none) {
        self.packetID = packetID
        self.reasonCode = reasonCode
        self.properties = properties
    }
}

/// DISCONNECT (section 3.14). MQTT 3.1.1 has no fields; MQTT 5.0 adds a reason code and
/// properties, both left out on the wire (remaining length 0) when they are Normal
/// disconnection and empty.
public struct DisconnectPacket: Sendable, Hashable {
    /// MQTT 5.0 reason code; 0x00 (Normal disconnection) for MQTT 3.1.1.
    public var reasonCode: MQTTReasonCode
    /// MQTT 5.0 properties: Session Expiry Interval, Reason String, User Properties, Server
    /// Reference. Empty for MQTT 3.1.1.
    public var properties: MQTTProperties

    public init(reasonCode: MQTTReasonCode = .normalDisconnection, properties: MQTTProperties = .none) {
        self.reasonCode = reasonCode
        self.properties = properties
    }
}

/// AUTH (MQTT 5.0 section 3.15): a step of enhanced authentication. Remaining length 0 means
/// Success without properties. MQTT 3.1.1 has no AUTH (type 15 is reserved there).
public struct AuthPacket: Sendable, Hashable {
    /// Success, Continue authentication or Re-authenticate [MQTT-3.15.2-1].
    public var reasonCode: MQTTReasonCode
    /// Authentication Method and Data, Reason String, User Properties.
    public var properties: MQTTProperties

    public init(reasonCode: MQTTReasonCode = .success, properties: MQTTProperties = .none) {
        self.reasonCode = reasonCode
        self.properties = properties
    }
}
