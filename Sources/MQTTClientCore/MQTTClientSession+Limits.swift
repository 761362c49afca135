import MQTTCore
import NIOCore

/// MQTT 5.0 limits on what the client sends: the broker's Receive Maximum (flow control),
/// Maximum Packet Size, Topic Alias Maximum, Maximum QoS and Retain Available, announced in its
/// CONNACK (section 3.2.2.3). None of them applies to MQTT 3.1.1.
extension MQTTClientSession {
    /// Why the client will not send something, in words.
    struct Refusal: Error, Sendable, Hashable {
        var reason: String
    }

    /// A QoS 1 or 2 publish waiting until the broker's Receive Maximum lets it go.
    struct QueuedPublish: Sendable, Hashable {
        var operation: OperationID
        var message: ApplicationMessage
    }

    /// Starts the per-connection state of a new CONNECT: the client's announced limits, no
    /// topic aliases, no DISCONNECT from the broker yet.
    mutating func startConnection(_ options: ConnectOptions) {
        limits = version == .v5 ? ConnectionLimits(connect: options.properties) : ConnectionLimits()
        incomingAliases = [:]
        outgoingAliases = [:]
        unacknowledgedIncoming = []
        filterCounts = [:]
        serverDisconnect = nil
        authentication = AuthenticationExchange(connect: options.properties)
    }

    /// The largest packet the client accepts on the connection it opens (MQTT 5.0: the
    /// Maximum Packet Size its CONNECT announces), for the driver's codec; `nil`: the
    /// protocol's maximum.
    public var maximumIncomingPacketSize: Int? {
        guard version == .v5, case .maximumPacketSize(let size)? = options?.properties.first(.maximumPacketSize) else { return nil }
        return Int(size)
    }

    /// QoS 1 and 2 publishes sent and not yet acknowledged.
    var publishesInFlight: Int {
        inFlight.values.reduce(0) { count, entry in
            if case .publish = entry { count + 1 } else { count }
        }
    }

    /// Why `message` cannot be published under the broker's CONNACK (its QoS, retain flag or
    /// topic alias); `nil` when it can.
    func refusal(toPublish message: ApplicationMessage) -> String? {
        guard version == .v5 else { return nil }
        if message.qos > limits.maximumQoS {
            return "the broker's CONNACK allows at most QoS \(limits.maximumQoS.rawValue) (maximum_qos), and the publish asks for QoS \(message.qos.rawValue)"
        }
        if message.retain, !limits.retainAvailable {
            return "the broker's CONNACK says it keeps no retained messages (retain_available 0), and the publish is retained"
        }
        if let alias = message.properties.topicAlias, alias == 0 || alias > limits.serverTopicAliasMaximum {
            return "topic alias \(alias) is not allowed: the broker's topic_alias_maximum is \(limits.serverTopicAliasMaximum) [MQTT-3.3.2-8]"
        }
        return nil
    }

    /// The PUBLISH of `message`, checked as it goes out: its size against the broker's
    /// maximum, an empty topic against the aliases this connection mapped; a topic with an
    /// alias maps it, now that it is sent. The reason when it cannot go.
    mutating func outgoingPublish(_ message: ApplicationMessage, packetID: UInt16?) -> Result<MQTTPacket, Refusal> {
        let packet = version.publish(message, packetID: packetID)
        if version == .v311, message.topic.string.isEmpty {
            return .failure(Refusal(reason: "a PUBLISH needs a topic name; only MQTT 5.0 may leave it empty for a topic alias [MQTT-4.7.3-1]"))
        }
        if let refusal = refusal(toSend: packet) { return .failure(Refusal(reason: refusal)) }
        guard version == .v5, let alias = message.properties.topicAlias else { return .success(packet) }
        if message.topic.string.isEmpty {
            guard outgoingAliases[alias] != nil else {
                return .failure(Refusal(reason: "topic alias \(alias) has no topic on this connection yet: publish it once with a topic name first"))
            }
        } else {
            outgoingAliases[alias] = message.topic
        }
        return .success(packet)
    }

    /// Why `packet` cannot be sent: it does not encode in this version, or it is larger than
    /// the broker's Maximum Packet Size [MQTT-3.1.2-24]; `nil` when it can. Checked in 5.0 only
    /// (a 3.1.1 packet has no properties to get wrong).
    func refusal(toSend packet: MQTTPacket, checkingSize: Bool = true) -> String? {
        guard version == .v5 else { return nil }
        if case .connect(let connect) = packet, connect.properties.first(.authenticationData) != nil, connect.properties.first(.authenticationMethod) == nil {
            return "the CONNECT cannot carry authentication_data without authentication_method: a Protocol Error (MQTT 5.0 section 3.1.2.11.10)"
        }
        let size: Int
        do {
            size = try packet.encoded(version: version).readableBytes
        } catch {
            return "the \(packet.type) cannot be sent: \(error)"
        }
        if checkingSize, let maximum = limits.serverMaximumPacketSize, size > Int(maximum) {
            return "the \(packet.type) is \(size) bytes, above the broker's maximum_packet_size of \(maximum) bytes [MQTT-3.1.2-24]"
        }
        return nil
    }

    /// Sends a QoS 1 or 2 publish, or queues it while the broker's Receive Maximum is reached
    /// [MQTT-3.3.4-7].
    mutating func sendOrQueue(_ message: ApplicationMessage, id: OperationID, now: Int64) -> [Action] {
        if version == .v5, publishesInFlight >= Int(limits.serverReceiveMaximum) {
            queuedPublishes.append(QueuedPublish(operation: id, message: message))
            return withTimer([], now: now)
        }
        return withTimer(sendTracked(message, id: id, now: now), now: now)
    }

    /// Sends a QoS 1 or 2 publish and tracks it until its acknowledgement.
    private mutating func sendTracked(_ message: ApplicationMessage, id: OperationID, now: Int64) -> [Action] {
        guard let packetID = nextPacketID() else { return [complete(id, Self.noPacketID)] }
        let packet: MQTTPacket
        switch outgoingPublish(message, packetID: packetID) {
        case .success(let checked): packet = checked
        case .failure(let refusal): return [complete(id, .unsupported(reason: refusal.reason))]
        }
        inFlight[packetID] = .publish(id, message.qos == .atLeastOnce ? .awaitingPubAck : .awaitingPubRec)
        return [send(packet, now: now)]
    }

    /// Sends queued publishes as far as the broker's Receive Maximum allows, after an
    /// acknowledgement freed a place.
    mutating func releaseQueuedPublishes(now: Int64) -> [Action] {
        var actions: [Action] = []
        while !queuedPublishes.isEmpty, publishesInFlight < Int(limits.serverReceiveMaximum), state == .connected {
            let next = queuedPublishes.removeFirst()
            actions += sendTracked(next.message, id: next.operation, now: now)
        }
        return actions
    }

    /// Why a DISCONNECT with `properties` cannot be sent: a Session Expiry Interval above 0
    /// when the CONNECT's was 0 [MQTT-3.14.2-2]; `nil` when it can.
    func refusal(toDisconnectWith properties: MQTTProperties) -> String? {
        guard let requested = properties.sessionExpiryInterval, requested > 0, (options?.properties.sessionExpiryInterval ?? 0) == 0 else { return nil }
        return "the DISCONNECT asks for session_expiry_interval \(requested), and the CONNECT's was 0: a client may not set it then [MQTT-3.14.2-2]"
    }
}
