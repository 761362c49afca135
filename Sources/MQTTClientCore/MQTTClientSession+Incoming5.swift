import MQTTCore
import NIOCore

/// MQTT 5.0 rules on what the broker sends: topic aliases resolved [MQTT-3.3.2-12], the
/// client's Receive Maximum enforced [MQTT-3.3.4-9], a DISCONNECT from the broker taken as the
/// end of the session with its reason (section 3.14), and the client's own DISCONNECT with a
/// reason code when the broker breaks a rule (section 4.13).
extension MQTTClientSession {
    /// The broker broke a rule: report it, send DISCONNECT with `code` (5.0; 3.1.1 only
    /// closes) and close. Every waiting operation ends with the violation.
    mutating func violation(_ violation: String, code: MQTTReasonCode, now: Int64) -> [Action] {
        closedForViolation = violation
        guard version == .v5 else { return [.report(.protocolViolation(violation)), .closeTransport] }
        return [.report(.protocolViolation(violation)), send(version.disconnect(code, properties: .none), now: now), .closeTransport]
    }

    /// A received PUBLISH checked against the 5.0 rules: the publish with its topic resolved
    /// from its alias, or the actions that close the connection for a broken rule.
    mutating func checkedIncoming(_ publish: PublishPacket, now: Int64) -> Result<PublishPacket, Closing> {
        var publish = publish
        if let alias = publish.properties.topicAlias {
            guard alias != 0, alias <= limits.clientTopicAliasMaximum else {
                let rule = "the broker used topic alias \(alias), and the client's topic_alias_maximum is \(limits.clientTopicAliasMaximum) [MQTT-3.3.2-9] [MQTT-3.3.2-10]"
                return .failure(Closing(actions: violation(rule, code: .topicAliasInvalid, now: now)))
            }
            if publish.topic.string.isEmpty {
                guard let topic = incomingAliases[alias] else {
                    let rule = "the broker sent a PUBLISH with an empty topic and topic alias \(alias), which it never mapped on this connection [MQTT-3.3.2-12]"
                    return .failure(Closing(actions: violation(rule, code: .topicAliasInvalid, now: now)))
                }
                publish.topic = topic
            } else {
                incomingAliases[alias] = publish.topic
            }
        }
        if publish.qos != .atMostOnce, configuration.acknowledgements != .none, let id = publish.packetID,
            !incomingQoS2.contains(id), !unacknowledgedIncoming.contains(id),
            incomingQoS2.count + unacknowledgedIncoming.count >= Int(limits.clientReceiveMaximum)
        {
            let rule = "the broker sent a QoS \(publish.qos.rawValue) PUBLISH (packet id \(id)) with \(limits.clientReceiveMaximum) already unacknowledged, the client's receive_maximum [MQTT-3.3.4-9]"
            return .failure(Closing(actions: violation(rule, code: .receiveMaximumExceeded, now: now)))
        }
        return .success(publish)
    }

    /// The rule `packet` breaks when the client asked for no problem information: a reason
    /// string or user properties on a packet other than PUBLISH, CONNACK or DISCONNECT
    /// [MQTT-3.1.2-29]; `nil` when it breaks none.
    func problemInformationViolation(_ packet: MQTTPacket) -> String? {
        guard version == .v5, !limits.requestsProblemInformation else { return nil }
        switch packet {
        case .publish, .connack, .disconnect: return nil
        default: break
        }
        let properties = packet.properties
        guard properties.reasonString != nil || !properties.userProperties.isEmpty else { return nil }
        return "the broker sent a \(packet.type) with a reason string or user properties, and the client's CONNECT asked for no problem information (request_problem_information 0) [MQTT-3.1.2-29]"
    }

    /// The rule a SUBACK or UNSUBACK breaks with `count` reason codes for the request with
    /// `packetID` (5.0: one per topic filter, in order); `nil` when it has one per filter.
    /// Forgets the request's filter count.
    mutating func reasonCountViolation(_ count: Int, packetID: UInt16, ack: MQTTPacketType, statement: String) -> String? {
        guard let expected = filterCounts.removeValue(forKey: packetID), expected != count else { return nil }
        let request = ack == .suback ? "SUBSCRIBE" : "UNSUBSCRIBE"
        return "the broker answered the \(request) (packet id \(packetID)) of \(expected) topic filter\(expected == 1 ? "" : "s") with a \(ack) of \(count) reason code\(count == 1 ? "" : "s") [\(statement)]"
    }

    /// The actions that close the connection instead of handling a packet.
    struct Closing: Error, Sendable, Hashable {
        var actions: [Action]
    }

    /// A DISCONNECT from the broker (5.0): reported, and the connection closed; the
    /// session ends with its reason once the close is done.
    mutating func serverDisconnectReceived(_ disconnect: DisconnectPacket, now: Int64) -> [Action] {
        serverDisconnect = disconnect
        return [.report(.serverDisconnected(disconnect)), .closeTransport]
    }

    /// The broker's DISCONNECT in plain words: `the broker disconnected: session_taken_over
    /// (0x8E)`, with its reason string; a server reference (0x9C Use another server, 0x9D
    /// Server moved) is reported as a redirection the client did not follow.
    public static func describe(_ disconnect: DisconnectPacket) -> String {
        let code = disconnect.reasonCode
        var text = "the broker disconnected: \(reasonText(code, in: .disconnect))"
        if let reason = disconnect.properties.reasonString {
            text += ", reason string \(MQTTPacket.describePayload(ByteBuffer(string: reason), limit: 200))"
        }
        if let reference = disconnect.properties.serverReference {
            text += "; it redirected the client to \(MQTTPacket.describePayload(ByteBuffer(string: reference), limit: 200)) (not followed)"
        }
        return text
    }

    /// `session_taken_over (0x8E)`.
    public static func reasonText(_ code: MQTTReasonCode, in packet: MQTTPacketType) -> String {
        let digits = String(code.rawValue, radix: 16, uppercase: true)
        return "\(code.name(in: packet)) (0x\(code.rawValue < 16 ? "0" : "")\(digits))"
    }
}
