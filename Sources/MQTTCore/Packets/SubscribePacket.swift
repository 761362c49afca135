/// SUBSCRIBE (section 3.8): one or more topic filters with a requested QoS each.
public struct SubscribePacket: Sendable, Hashable {
    /// One topic filter and the maximum QoS the client asks for.
    public struct Subscription: Sendable, Hashable {
        public var filter: TopicFilter
        public var qos: MQTTQoS

        public init(filter: TopicFilter, qos: MQTTQoS) {
            self.filter = filter
            self.qos = qos
        }
    }

    public var packetID: UInt16
    public var subscriptions: [Subscription]

    public init(packetID: UInt16, subscriptions: [Subscription]) {
        self.packetID = packetID
        self.subscriptions = subscriptions
    }
}

/// SUBACK (section 3.9): the granted QoS, or failure, per requested subscription.
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

        public var description: String {
            switch self {
            case .granted(let qos): "\(qos)"
            case .failure: "0x80"
            }
        }
    }

    public var packetID: UInt16
    public var returnCodes: [ReturnCode]

    public init(packetID: UInt16, returnCodes: [ReturnCode]) {
        self.packetID = packetID
        self.returnCodes = returnCodes
    }
}

/// UNSUBSCRIBE (section 3.10): one or more topic filters to remove.
public struct UnsubscribePacket: Sendable, Hashable {
    public var packetID: UInt16
    public var filters: [TopicFilter]

    public init(packetID: UInt16, filters: [TopicFilter]) {
        self.packetID = packetID
        self.filters = filters
    }
}
