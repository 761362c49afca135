import NIOCore

extension MQTTPacket {
    /// The packet's key fields as `key=value` pairs for traces, for example
    /// `id=1 qos=1 topic=devices/esp8266/messages/devicebound/ payload="on"`.
    ///
    /// Passwords are never included, only their length. MQTT 5.0 fields follow the 3.1.1 ones:
    /// reason codes by name (`reason=0x87(not_authorized)`), then the properties
    /// (``MQTTProperties/summary``), with authentication data and User Properties whose name
    /// looks secret masked as passwords are. An MQTT 3.1.1 packet's summary has none of them.
    public var summary: String {
        let base = summary311
        let extra = version5Summary
        if extra.isEmpty { return base }
        return base.isEmpty ? extra : base + " " + extra
    }

    /// The reason codes and properties of an MQTT 5.0 packet as ``summary`` ends with them
    /// (`reason=0x10(no_matching_subscribers) properties=[content_type=text/plain]`), empty
    /// when they are Success and empty (as always in 3.1.1).
    public var version5Summary: String {
        version5Fields.map { field in
            field.name.hasSuffix("properties") ? "\(field.name)=[\(field.value)]" : "\(field.name)=\(field.value)"
        }.joined(separator: " ")
    }

    /// The MQTT 5.0 fields ``summary`` shows, as name and value, for reports that keep fields
    /// apart (`trace.jsonl`): `reason` (`0x87(not_authorized)`, a code by number and name) or
    /// `reasons` (comma-separated), `will_properties` and `properties`
    /// (``MQTTProperties/summary``, secrets masked). Empty for an MQTT 3.1.1 packet, and for
    /// an MQTT 5.0 one whose reason code is Success and that has no properties.
    public var version5Fields: [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        switch self {
        case .puback(let ack), .pubrec(let ack), .pubrel(let ack), .pubcomp(let ack):
            if ack.reasonCode != .success { fields.append(("reason", Self.describe(ack.reasonCode, in: type))) }
        case .disconnect(let disconnect):
            if disconnect.reasonCode != .success { fields.append(("reason", Self.describe(disconnect.reasonCode, in: type))) }
        case .auth(let auth):
            fields.append(("reason", Self.describe(auth.reasonCode, in: type)))
        case .connack(let connack):
            if ConnectReturnCode(exactly: connack.reasonCode) == nil || !connack.properties.isEmpty {
                fields.append(("reason", Self.describe(connack.reasonCode, in: type)))
            }
        case .unsuback(let unsuback):
            if !unsuback.reasonCodes.isEmpty {
                fields.append(("reasons", unsuback.reasonCodes.map { Self.describe($0, in: .unsuback) }.joined(separator: ",")))
            }
        case .connect(let connect):
            if let will = connect.will, !will.properties.isEmpty { fields.append(("will_properties", will.properties.summary)) }
        default:
            break
        }
        if !properties.isEmpty { fields.append(("properties", properties.summary)) }
        return fields
    }

    private static func describe(_ code: MQTTReasonCode, in type: MQTTPacketType) -> String {
        "\(MQTTReasonCode.hex(code.rawValue))(\(code.name(in: type)))"
    }

    private var summary311: String {
        switch self {
        case .connect(let connect):
            if let fields = connect.undecodedFields {
                return "protocol=\(connect.protocolName)/\(connect.protocolLevel) fields=(\(fields.readableBytes) bytes, not MQTT 3.1.1)"
            }
            var parts = [
                "client_id=\(connect.clientID)",
                "protocol=\(connect.protocolName)/\(connect.protocolLevel)",
                // The same flag is Clean Start in MQTT 5.0 (section 3.1.2.4).
                "\(connect.protocolLevel == 5 ? "clean_start" : "clean_session")=\(connect.cleanSession ? 1 : 0)",
                "keepalive=\(connect.keepAlive)",
            ]
            if let username = connect.username { parts.append("username=\(username)") }
            if let password = connect.password { parts.append("password=(\(password.readableBytes) bytes)") }
            if let will = connect.will {
                parts.append("will_topic=\(will.topic) will_qos=\(will.qos) will_retain=\(will.retain ? 1 : 0)")
            }
            return parts.joined(separator: " ")
        case .connack(let connack):
            // An MQTT 5.0 refusal 3.1.1 has no code for shows only its reason code, not the
            // nearest 3.1.1 code, which would misname it.
            guard let code = ConnectReturnCode(exactly: connack.reasonCode) else { return "session_present=\(connack.sessionPresent ? 1 : 0)" }
            return "session_present=\(connack.sessionPresent ? 1 : 0) return_code=\(code)"
        case .publish(let publish):
            var parts: [String] = []
            if let id = publish.packetID { parts.append("id=\(id)") }
            parts.append("qos=\(publish.qos)")
            if publish.dup { parts.append("dup=1") }
            if publish.retain { parts.append("retain=1") }
            parts.append("topic=\(publish.topic)")
            parts.append("payload=\(Self.describePayload(publish.payload))")
            return parts.joined(separator: " ")
        case .puback(let ack), .pubrec(let ack), .pubrel(let ack), .pubcomp(let ack):
            return "id=\(ack.packetID)"
        case .unsuback(let unsuback):
            return "id=\(unsuback.packetID)"
        case .subscribe(let subscribe):
            let filters = subscribe.subscriptions.map { subscription in
                var text = "\(subscription.filter)@\(subscription.qos)"
                if subscription.noLocal { text += "+no_local" }
                if subscription.retainAsPublished { text += "+retain_as_published" }
                if subscription.retainHandling != .sendOnSubscribe { text += "+retain_handling=\(subscription.retainHandling)" }
                return text
            }.joined(separator: ",")
            return "id=\(subscribe.packetID) filters=\(filters)"
        case .suback(let suback):
            return "id=\(suback.packetID) granted=\(suback.codesSummary)"
        case .unsubscribe(let unsubscribe):
            return "id=\(unsubscribe.packetID) filters=\(unsubscribe.filters.map(\.string).joined(separator: ","))"
        case .pingreq, .pingresp, .disconnect, .auth:
            return ""
        }
    }

    /// A short rendering of a payload: quoted text when printable, else hex, at most 64 bytes.
    public static func describePayload(_ payload: ByteBuffer, limit: Int = 64) -> String {
        let bytes = payload.readableBytesView
        let shown = bytes.prefix(limit)
        let suffix = bytes.count > limit ? "…(\(bytes.count) bytes)" : ""
        let printable = shown.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
        if printable {
            return "\"\(String(decoding: shown, as: UTF8.self))\"\(suffix)"
        }
        return "0x" + shown.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined() + suffix
    }
}

extension SubAckPacket {
    /// The codes as traces show them, comma-separated: a code 3.1.1 has as 3.1.1 shows it
    /// (`1`, `0x80`), an MQTT 5.0 refusal by number and name (`0x87(not_authorized)`).
    public var codesSummary: String {
        reasonCodes.map { code in
            ReturnCode(rawValue: code.rawValue)?.description ?? "\(MQTTReasonCode.hex(code.rawValue))(\(code.name(in: .suback)))"
        }.joined(separator: ",")
    }
}
