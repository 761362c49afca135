/// Why a packet cannot be encoded: it is too large, it would break a rule of its protocol
/// version so that its receiver must refuse it, or it has fields its version lacks.
///
/// The encoder refuses exactly what the decoder would refuse (plus [MQTT-2.3.1-5], which a
/// decoder cannot see), so every packet that encodes decodes back to an equal packet.
public enum MQTTEncodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The packet would need a remaining length above 268,435,455 bytes (section 2.2.3).
    case packetTooLarge(remainingLength: Int)
    /// A string or binary field is longer than 65,535 bytes (sections 1.5.3, 3.1.3.5).
    case fieldTooLong(field: MQTTPacketField, byteCount: Int)
    /// The packet would be malformed; the error is the one its receiver's decoder would throw.
    case malformed(MQTTDecodingError)
    /// A PUBLISH at QoS 1 or 2 without a packet identifier [MQTT-2.3.1-1].
    case missingPacketIdentifier
    /// A PUBLISH at QoS 0 with a packet identifier [MQTT-2.3.1-5].
    case packetIdentifierAtQoS0
    /// A CONNECT of level 3 or 4 with ``ConnectPacket/undecodedFields``: those levels have
    /// fields of their own.
    case undecodedFieldsAtKnownLevel(UInt8)
    /// An MQTT 3.1.1 encoding of something only MQTT 5.0 has: properties, a reason code 3.1.1
    /// cannot express, subscription options beyond the QoS, AUTH. Says what.
    case version5Only(String)
    /// A property value the wire form cannot hold: a string or binary value above 65,535
    /// bytes, a Subscription Identifier above 268,435,455 (sections 1.5.4, 1.5.6, 1.5.5).
    case propertyValueTooLarge(MQTTPropertyIdentifier, Int)

    /// The normative statement the packet would break, if the standard gives one.
    public var statement: String? {
        switch self {
        case .packetTooLarge, .fieldTooLong, .undecodedFieldsAtKnownLevel, .version5Only, .propertyValueTooLarge: nil
        case .malformed(let error): error.statement
        case .missingPacketIdentifier: "MQTT-2.3.1-1"
        case .packetIdentifierAtQoS0: "MQTT-2.3.1-5"
        }
    }

    public var description: String {
        switch self {
        case .packetTooLarge(let length): "remaining length \(length) exceeds 268435455 bytes [section 2.2.3]"
        case .fieldTooLong(let field, let count): "\(field) is \(count) bytes long, more than 65535 [section 1.5.3]"
        case .malformed(let error): "the packet would be malformed: \(error)"
        case .missingPacketIdentifier: "PUBLISH at QoS 1 or 2 needs a packet identifier [MQTT-2.3.1-1]"
        case .packetIdentifierAtQoS0: "PUBLISH at QoS 0 must not have a packet identifier [MQTT-2.3.1-5]"
        case .undecodedFieldsAtKnownLevel(let level): "a CONNECT of protocol level \(level) must have its fields decoded, not kept as bytes"
        case .version5Only(let what): "\(what): only MQTT 5.0 has them, MQTT 3.1.1 does not"
        case .propertyValueTooLarge(let id, let size): "\(id.name) of \(size) is too large for its data type [section 1.5]"
        }
    }
}
