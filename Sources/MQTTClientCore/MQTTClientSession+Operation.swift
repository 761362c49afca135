import MQTTCore
import NIOCore

extension MQTTClientSession {
    /// Something a caller asks of the client and waits for (see ``Outcome``).
    public enum Operation: Sendable, Hashable {
        /// Opens the transport (unless raw writes already did) and sends CONNECT; answered by
        /// CONNACK, whatever its code.
        case connect(ConnectOptions)
        /// Answered by SUBACK, whatever its return codes.
        case subscribe([SubscribePacket.Subscription])
        /// Answered by UNSUBACK.
        case unsubscribe([TopicFilter])
        /// Done at once at QoS 0; answered by PUBACK at QoS 1 and by PUBCOMP at QoS 2.
        case publish(ApplicationMessage)
        /// Sends DISCONNECT and closes; done once the connection is closed.
        case disconnect
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
            case .disconnect: .disconnect
            case .open: .open
            case .write: .write
            }
        }

        /// The kinds of operation.
        public enum Kind: Sendable, Hashable, CustomStringConvertible {
            case connect, subscribe, unsubscribe, publish, disconnect, open, write

            /// With its article: `a subscribe`, `an unsubscribe`.
            public var description: String {
                switch self {
                case .connect: "a connect"
                case .subscribe: "a subscribe"
                case .unsubscribe: "an unsubscribe"
                case .publish: "a publish"
                case .disconnect: "a disconnect"
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
        /// The broker answered: the CONNACK, SUBACK, UNSUBACK, PUBACK or PUBCOMP, whatever its
        /// code.
        case answered(MQTTPacket)
        /// Done with nothing to wait for: a QoS 0 PUBLISH or a raw write written, the
        /// transport opened, the connection closed after DISCONNECT.
        case done
        /// The connection closed or failed first, or was not there; `reason` says how.
        case connectionEnded(reason: String)
        /// The client cannot do this (for example umqtt.simple has no unsubscribe).
        case unsupported(reason: String)
        /// The broker answered in a way the specification forbids; `reason` says what it did
        /// and which rule it broke.
        case protocolViolation(reason: String)
    }
}
