/// SUBSCRIBE (section 3.8): one or more topic filters with a requested QoS each, and in MQTT
/// 5.0 their subscription options.
public struct SubscribePacket: Sendable, Hashable {
    /// One topic filter with its options (section 3.8.3.1). MQTT 3.1.1 has the maximum QoS
    /// only; the other options keep their defaults there.
    public struct Subscription: Sendable, Hashable {
        public var filter: TopicFilter
        /// The maximum QoS the client asks for.
        public var qos: MQTTQoS
        /// MQTT 5.0 No Local: the server does not send the client's own publications back.
        public var noLocal: Bool
        /// MQTT 5.0 Retain As Published: forwarded messages keep their RETAIN flag.
        public var retainAsPublished: Bool
        /// MQTT 5.0 Retain Handling: when retained messages are sent.
        public var retainHandling: RetainHandling

        public init(
            filter: TopicFilter,
            qos: MQTTQoS,
            noLocal: Bool = false,
            retainAsPublished: Bool = false,
            retainHandling: RetainHandling = .sendOnSubscribe
        ) {
            self.filter = filter
            self.qos = qos
            self.noLocal = noLocal
            self.retainAsPublished = retainAsPublished
            self.retainHandling = retainHandling
        }

        /// The MQTT 5.0 Subscription Options byte (Figure 3-21).
        public var options: UInt8 {
            qos.rawValue | (noLocal ? 0x04 : 0) | (retainAsPublished ? 0x08 : 0) | retainHandling.rawValue << 4
        }

        /// Whether every option but the QoS has its default: what MQTT 3.1.1 can express.
        public var hasOnlyQoS: Bool { !noLocal && !retainAsPublished && retainHandling == .sendOnSubscribe }
    }

    /// MQTT 5.0 Retain Handling (section 3.8.3.1).
    public enum RetainHandling: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// 0: send retained messages at the time of the subscribe.
        case sendOnSubscribe = 0
        /// 1: send them only if the subscription did not already exist.
        case sendOnNewSubscription = 1
        /// 2: do not send them.
        case doNotSend = 2

        public var description: String { String(rawValue) }
    }

    public var packetID: UInt16
    public var subscriptions: [Subscription]
    /// MQTT 5.0 properties (section 3.8.2.1): a Subscription Identifier, User Properties.
    /// Empty for MQTT 3.1.1.
    public var properties: MQTTProperties

    public init(packetID: UInt16, subscriptions: [Subscription], properties: MQTTProperties = .none) {
        self.packetID = packetID
        self.subscriptions = subscriptions
        self.properties = properties
    }
}

/// SUBACK (section 3.9): the outcome per requested subscription.
///
/// One model for both versions: ``reasonCodes`` hold MQTT 5.0 reason codes (section 3.9.3),
/// which for the 3.1.1 return codes are the same bytes (0x00 to 0x02 granted, 0x80 failure);
/// ``returnCodes`` read and write them in 3.1.1 terms.
public struct SubAckPacket: Sendable, Hashable {
    /// One SUBACK return code (section 3.9.3).
    public enum ReturnCode: Sendable, Hashable, CustomStringConvertible {
        case granted(MQTTQoS)
        case failure

        /// The byte on the wire: 0x00, 0x01, 0x02 or 0x80.
        public var rawValue: UInt8 {
            switch self {
            case .granted(let qos): qos.rawValue
            case .failure: 0x80
            }
        }

        /// Decodes a return code byte; other values are reserved [MQTT-3.9.3-2].
        public init?(rawValue: UInt8) {
            if rawValue == 0x80 {
                self = .failure
            } else if let qos = MQTTQoS(rawValue: rawValue) {
                self = .granted(qos)
            } else {
                return nil
            }
        }

        /// The 3.1.1 code for an MQTT 5.0 SUBACK reason code: granted for 0x00 to 0x02,
        /// failure for any other.
        public init(_ reasonCode: MQTTReasonCode) {
            if let qos = MQTTQoS(rawValue: reasonCode.rawValue) { self = .granted(qos) } else { self = .failure }
        }

        /// The MQTT 5.0 reason code of the same byte.
        public var reasonCode: MQTTReasonCode { MQTTReasonCode(rawValue: rawValue) ?? .unspecifiedError }

        public var description: String {
            switch self {
            case .granted(let qos): "\(qos)"
            case .failure: "0x80"
            }
        }
    }

    public var packetID: UInt16
    /// One reason code per topic filter of the SUBSCRIBE, in order [MQTT-3.9.3-1].
    public var reasonCodes: [MQTTReasonCode]
    /// MQTT 5.0 properties (section 3.9.2.1). Empty for MQTT 3.1.1.
    public var properties: MQTTProperties

    /// A SUBACK with MQTT 3.1.1 return codes.
    public init(packetID: UInt16, returnCodes: [ReturnCode]) {
        self.packetID = packetID
        self.reasonCodes = returnCodes.map(\.reasonCode)
        self.properties = .none
    }

    /// A SUBACK with MQTT 5.0 reason codes.
    public init(packetID: UInt16, reasonCodes: [MQTTReasonCode], properties: MQTTProperties = .none) {
        self.packetID = packetID
        self.reasonCodes = reasonCodes
        self.properties = properties
    }

    /// The outcomes in MQTT 3.1.1 terms: granted for 0x00 to 0x02, failure for any refusal.
    public var returnCodes: [ReturnCode] {
        get { reasonCodes.map(ReturnCode.init) }
        set { reasonCodes = newValue.map(\.reasonCode) }
    }
}

/// UNSUBSCRIBE (section 3.10): one or more topic filters to remove.
public struct UnsubscribePacket: Sendable, Hashable {
    public var packetID: UInt16
    public var filters: [TopicFilter]
    /// MQTT 5.0 properties (section 3.10.2.1): User Properties. Empty for MQTT 3.1.1.
    public var properties: MQTTProperties

    public init(packetID: UInt16, filters: [TopicFilter], properties: MQTTProperties = .none) {
        self.packetID = packetID
        self.filters = filters
        self.properties = properties
    }
}

/// UNSUBACK (section 3.11). MQTT 3.1.1 carries the packet identifier only; MQTT 5.0 adds a
/// reason code per topic filter and properties.
public struct UnsubAckPacket: Sendable, Hashable {
    public var packetID: UInt16
    /// MQTT 5.0: one reason code per topic filter of the UNSUBSCRIBE, in order
    /// [MQTT-3.11.3-1]. Empty for MQTT 3.1.1.
    public var reasonCodes: [MQTTReasonCode]
    /// MQTT 5.0 properties (section 3.11.2.1). Empty for MQTT 3.1.1.
    public var properties: MQTTProperties

    public init(packetID: UInt16, reasonCodes: [MQTTReasonCode] = [], properties: MQTTProperties = .none) {
        self.packetID = packetID
        self.reasonCodes = reasonCodes
        self.properties = properties
    }
}
