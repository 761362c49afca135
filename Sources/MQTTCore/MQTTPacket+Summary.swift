import NIOCore

extension MQTTPacket {
    /// The packet's key fields as `key=value` pairs for traces, for example
    /// `id=1 qos=1 topic=devices/esp8266/messages/devicebound/ payload="on"`.
    ///
    /// Passwords are never included, only their length.
    public var summary: String {
        switch self {
        case .connect(let connect):
            if let fields = connect.undecodedFields {
                return "protocol=\(connect.protocolName)/\(connect.protocolLevel) fields=(\(fields.readableBytes) bytes, not MQTT 3.1.1)"
            }
            var parts = [
                "client_id=\(connect.clientID)",
                "protocol=\(connect.protocolName)/\(connect.protocolLevel)",
                "clean_session=\(connect.cleanSession ? 1 : 0)",
                "keepalive=\(connect.keepAlive)",
            ]
            if let username = connect.username { parts.append("username=\(username)") }
            if let password = connect.password { parts.append("password=(\(password.readableBytes) bytes)") }
            if let will = connect.will {
                parts.append("will_topic=\(will.topic) will_qos=\(will.qos) will_retain=\(will.retain ? 1 : 0)")
            }
            return parts.joined(separator: " ")
        case .connack(let connack):
            return "session_present=\(connack.sessionPresent ? 1 : 0) return_code=\(connack.returnCode)"
        case .publish(let publish):
            var parts: [String] = []
            if let id = publish.packetID { parts.append("id=\(id)") }
            parts.append("qos=\(publish.qos)")
            if publish.dup { parts.append("dup=1") }
            if publish.retain { parts.append("retain=1") }
            parts.append("topic=\(publish.topic)")
            parts.append("payload=\(Self.describePayload(publish.payload))")
            return parts.joined(separator: " ")
        case .puback(let id), .pubrec(let id), .pubrel(let id), .pubcomp(let id), .unsuback(let id):
            return "id=\(id)"
        case .subscribe(let subscribe):
            let filters = subscribe.subscriptions.map { "\($0.filter)@\($0.qos)" }.joined(separator: ",")
            return "id=\(subscribe.packetID) filters=\(filters)"
        case .suback(let suback):
            return "id=\(suback.packetID) granted=\(suback.returnCodes.map(\.description).joined(separator: ","))"
        case .unsubscribe(let unsubscribe):
            return "id=\(unsubscribe.packetID) filters=\(unsubscribe.filters.map(\.string).joined(separator: ","))"
        case .pingreq, .pingresp, .disconnect:
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
