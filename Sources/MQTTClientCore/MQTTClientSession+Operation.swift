import MQTTCore
import NIOCore

extension MQTTClientSession {
    /// Something a caller asks of the client and waits for (see ``Outcome``).
    public enum Operation: Sendable, Hashable {
        /// Opens the transport (unless raw writes already did) and sends CONNECT; answered by
        /// CONNACK, whatever its code.
        case connect(ConnectOptions)
        /// Answered by SUBACK, whatever its return codes. `properties` (subscription identifier,
        /// user properties) are MQTT 5.0's.
        case subscribe([SubscribePacket.Subscription], properties: MQTTProperties = .none)
        /// Answered by UNSUBACK. `properties` are MQTT 5.0's.
        case unsubscribe([TopicFilter], properties: MQTTProperties = .none)
        /// Done at once at QoS 0; answered by PUBACK at QoS 1 and by PUBCOMP at QoS 2 (in 5.0
        /// also by a PUBREC with a failure code). In MQTT 5.0 a QoS 1 or 2 PUBLISH beyond the
        /// broker's Receive Maximum waits until an earlier one is acknowledged.
        case publish(ApplicationMessage)
        /// Sends DISCONNECT and closes; done once the connection is closed.
        case disconnect
        /// MQTT 5.0: sends DISCONNECT with this reason code and properties (session expiry
        /// interval, reason string, user properties) and closes; done once it is closed.
        case disconnectWithReason(MQTTReasonCode, properties: MQTTProperties)
        /// MQTT 5.0: starts a re-authentication (AUTH 0x19) with the method of the CONNECT and
        /// the configuration's ``AuthenticationPolicy``; answered by the broker's AUTH Success.
        case reauthenticate
        /// Opens the transport and sends nothing; done once it is open.
        case open
        /// Writes bytes or a packet as given, past the session's rules (conformance tests send
        /// what no well-behaved client would). Opens the transport first, without CONNECT,
        /// when it is closed.
        case write(RawWrite)

        /// The operation's kind, for refusing a second one while the first waits.
        public var kind: Kind {
            switch self {
            case .connect: .connect
            case .subscribe: .subscribe
            case .unsubscribe: .unsubscribe
            case .publish: .publish
            case .disconnect, .disconnectWithReason: .disconnect
            case .reauthenticate: .reauthenticate
            case .open: .open
            case .write: .write
            }
        }

        /// The kinds of operation.
        public enum Kind: Sendable, Hashable, CustomStringConvertible {
            case connect, subscribe, unsubscribe, publish, disconnect, reauthenticate, open, write

            /// With its article: `a subscribe`, `an unsubscribe`.
            public var description: String {
                switch self {
                case .connect: "a connect"
                case .subscribe: "a subscribe"
                case .unsubscribe: "an unsubscribe"
                case .publish: "a publish"
                case .disconnect: "a disconnect"
                case .reauthenticate: "a re-authentication"
                case .open: "an open"
                case .write: "a raw write"
                }
            }
        }
    }

    /// What a raw write puts on the connection.
    public enum RawWrite: Sendable, Hashable {
        /// Bytes written around the codec, exactly as given.
        case bytes(ByteBuffer)
        /// A packet the codec encodes (so the packet tap records it), whatever the session's
        /// state.
        case packet(MQTTPacket)
    }

    /// Names one operation until it completes; the caller chooses it.
    public struct OperationID: Sendable, Hashable, Comparable, ExpressibleByIntegerLiteral, CustomStringConvertible {
        public var rawValue: UInt64

        public init(_ rawValue: UInt64) {
            self.rawValue = rawValue
        }

        public init(integerLiteral value: UInt64) {
            self.rawValue = value
        }

        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

        public var description: String { "#\(rawValue)" }
    }

    /// How an operation ended.
    public enum Outcome: Sendable, Hashable {
        /// The broker answered: the CONNACK, SUBACK, UNSUBACK, PUBACK, PUBCOMP (5.0: also a
        /// PUBREC with a failure code, or the AUTH ending a re-authentication), whatever its
        /// code.
        case answered(MQTTPacket)
        /// Done with nothing to wait for: a QoS 0 PUBLISH or a raw write written, the
        /// transport opened, the connection closed after DISCONNECT.
        case done
        /// The connection closed or failed first, or was not there; `reason` says how.
        case connectionEnded(reason: String)
        /// The client cannot do this (for example umqtt.simple has no unsubscribe), or will not
        /// because the broker's CONNACK forbids it (MQTT 5.0: above its Maximum QoS or Maximum
        /// Packet Size, retain where Retain Available is 0, a topic alias above its maximum).
        case unsupported(reason: String)
        /// The broker answered in a way the specification forbids; `reason` says what it did
        /// and which rule it broke.
        case protocolViolation(reason: String)
    }
}
