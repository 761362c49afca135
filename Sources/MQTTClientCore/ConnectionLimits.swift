import MQTTCore

/// The limits an MQTT 5.0 connection runs under: what the client announced in its CONNECT
/// (section 3.1.2.11) and what the broker announced in its CONNACK (section 3.2.2.3), with the
/// standard's defaults for every property left out. An MQTT 3.1.1 connection keeps the
/// defaults, which limit nothing.
public struct ConnectionLimits: Sendable, Hashable {
    /// How many QoS 1 and 2 publishes the broker accepts unacknowledged (Receive Maximum;
    /// default 65,535).
    public var serverReceiveMaximum: UInt16 = .max
    /// The largest packet the broker accepts; `nil`: no limit beyond the protocol's.
    public var serverMaximumPacketSize: UInt32?
    /// The highest topic alias the broker accepts; 0: none (the default).
    public var serverTopicAliasMaximum: UInt16 = 0
    /// The highest QoS the broker supports (default 2).
    public var maximumQoS: MQTTQoS = .exactlyOnce
    /// Whether the broker keeps retained messages (default yes).
    public var retainAvailable = true
    /// The keep-alive the broker asked for (Server Keep Alive), which replaces the client's.
    public var serverKeepAlive: UInt16?
    /// The client identifier the broker assigned (to a CONNECT with an empty one).
    public var assignedClientIdentifier: String?
    /// The session expiry interval in force: the broker's when its CONNACK says, else the
    /// client's (0 when neither says).
    public var sessionExpiryInterval: UInt32 = 0
    /// How many QoS 1 and 2 publishes the client accepts unacknowledged (default 65,535).
    public var clientReceiveMaximum: UInt16 = .max
    /// The largest packet the client accepts; `nil`: no limit beyond the protocol's.
    public var clientMaximumPacketSize: UInt32?
    /// The highest topic alias the broker may use towards the client; 0: none.
    public var clientTopicAliasMaximum: UInt16 = 0
    /// Whether the client asked for problem information (Request Problem Information; default
    /// yes). Without it the broker may send a reason string or user properties only on
    /// PUBLISH, CONNACK and DISCONNECT [MQTT-3.1.2-29].
    public var requestsProblemInformation = true

    public init() {}

    /// The limits the client announces in a CONNECT with `properties`.
    init(connect properties: MQTTProperties) {
        for property in properties {
            switch property {
            case .receiveMaximum(let value): clientReceiveMaximum = value
            case .maximumPacketSize(let value): clientMaximumPacketSize = value
            case .topicAliasMaximum(let value): clientTopicAliasMaximum = value
            case .sessionExpiryInterval(let value): sessionExpiryInterval = value
            case .requestProblemInformation(let value): requestsProblemInformation = value != 0
            default: break
            }
        }
    }

    /// Takes what the broker's CONNACK announces.
    mutating func apply(connack properties: MQTTProperties) {
        for property in properties {
            switch property {
            case .receiveMaximum(let value): serverReceiveMaximum = value
            case .maximumPacketSize(let value): serverMaximumPacketSize = value
            case .topicAliasMaximum(let value): serverTopicAliasMaximum = value
            case .maximumQoS(let value): maximumQoS = MQTTQoS(rawValue: value) ?? maximumQoS
            case .retainAvailable(let value): retainAvailable = value != 0
            case .serverKeepAlive(let value): serverKeepAlive = value
            case .assignedClientIdentifier(let value): assignedClientIdentifier = value
            case .sessionExpiryInterval(let value): sessionExpiryInterval = value
            default: break
            }
        }
    }
}
