import MQTTCore
import NIOCore

/// The logic of the harness's own MQTT connection to a real broker (the cloud side of a
/// scenario): CONNECT and CONNACK, packet identifiers, QoS 1 and 2 handshakes for what it
/// publishes and receives. Pure: events in, actions out.
struct CloudClientStateMachine: Sendable {
    /// What the driver must do.
    enum Action: Sendable, Hashable {
        case send(MQTTPacket)
        /// Complete the operation waiting under `token` (connect is token 0).
        case complete(token: UInt64, outcome: Outcome)
        /// Hand an application message to the observer.
        case deliver(PublishPacket)
        case close
    }

    /// How an operation ended.
    enum Outcome: Sendable, Hashable {
        case done
        case refused(String)
    }

    private enum Pending: Sendable, Hashable {
        case subscribe(token: UInt64)
        case publishQoS1(token: UInt64)
        case publishQoS2Received(token: UInt64)
        case publishQoS2Released(token: UInt64)
    }

    private(set) var isConnected = false
    private var lastPacketID: UInt16 = 0
    private var pending: [UInt16: Pending] = [:]
    /// QoS 2 messages received and not yet released (their ids), so duplicates deliver once.
    private var incomingQoS2: Set<UInt16> = []

    mutating func connected(connack: ConnAckPacket) -> [Action] {
        guard connack.returnCode == .accepted else {
            return [.complete(token: 0, outcome: .refused("CONNACK \(connack.returnCode)")), .close]
        }
        isConnected = true
        return [.complete(token: 0, outcome: .done)]
    }

    mutating func subscribe(_ filter: TopicFilter, qos: MQTTQoS, token: UInt64) -> [Action] {
        let id = nextPacketID()
        pending[id] = .subscribe(token: token)
        return [.send(.subscribe(SubscribePacket(packetID: id, subscriptions: [.init(filter: filter, qos: qos)])))]
    }

    mutating func publish(_ topic: TopicName, payload: ByteBuffer, qos: MQTTQoS, retain: Bool, token: UInt64) -> [Action] {
        guard qos != .atMostOnce else {
            return [.send(.publish(PublishPacket(topic: topic, payload: payload, retain: retain))), .complete(token: token, outcome: .done)]
        }
        let id = nextPacketID()
        pending[id] = qos == .atLeastOnce ? .publishQoS1(token: token) : .publishQoS2Received(token: token)
        return [.send(.publish(PublishPacket(topic: topic, payload: payload, qos: qos, packetID: id, retain: retain)))]
    }

    mutating func received(_ packet: MQTTPacket) -> [Action] {
        switch packet {
        case .connack(let connack):
            return connected(connack: connack)
        case .suback(let suback):
            guard case .subscribe(let token) = pending.removeValue(forKey: suback.packetID) else { return [] }
            let refused = suback.returnCodes.contains(.failure)
            return [.complete(token: token, outcome: refused ? .refused("SUBACK 0x80") : .done)]
        case .puback(let id):
            guard case .publishQoS1(let token) = pending.removeValue(forKey: id) else { return [] }
            return [.complete(token: token, outcome: .done)]
        case .pubrec(let id):
            guard case .publishQoS2Received(let token) = pending[id] else { return [] }
            pending[id] = .publishQoS2Released(token: token)
            return [.send(.pubrel(packetID: id))]
        case .pubcomp(let id):
            guard case .publishQoS2Released(let token) = pending.removeValue(forKey: id) else { return [] }
            return [.complete(token: token, outcome: .done)]
        case .publish(let publish):
            switch publish.qos {
            case .atMostOnce:
                return [.deliver(publish)]
            case .atLeastOnce:
                return [.deliver(publish), .send(.puback(packetID: publish.packetID ?? 0))]
            case .exactlyOnce:
                let id = publish.packetID ?? 0
                let isNew = incomingQoS2.insert(id).inserted
                return (isNew ? [.deliver(publish)] : []) + [.send(.pubrec(packetID: id))]
            }
        case .pubrel(let id):
            incomingQoS2.remove(id)
            return [.send(.pubcomp(packetID: id))]
        case .pingresp, .unsuback:
            return []
        case .connect, .subscribe, .unsubscribe, .pingreq, .disconnect:
            // Client-to-server packets from a broker: a broken peer.
            return [.close]
        }
    }

    /// The connection closed: every waiting operation fails.
    mutating func closed() -> [Action] {
        isConnected = false
        let tokens = pending.values.map { entry -> UInt64 in
            switch entry {
            case .subscribe(let token), .publishQoS1(let token), .publishQoS2Received(let token), .publishQoS2Released(let token): token
            }
        }
        pending.removeAll()
        return [.complete(token: 0, outcome: .refused("the connection closed"))] + tokens.sorted().map { .complete(token: $0, outcome: .refused("the connection closed")) }
    }

    private mutating func nextPacketID() -> UInt16 {
        repeat {
            lastPacketID = lastPacketID == .max ? 1 : lastPacketID + 1
        } while pending[lastPacketID] != nil
        return lastPacketID
    }
}
