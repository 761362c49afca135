import NIOCore

extension MQTTPacket {
    /// Decodes one whole packet from the start of `buffer`, consuming it.
    ///
    /// - Parameters:
    ///   - buffer: bytes received; on success the reader index moves past the packet.
    ///   - version: the protocol version of the connection, whose layout packets have. A
    ///     CONNECT names its own level: the MQTT 5.0 decoder reads level 5 in the 5.0 layout and
    ///     every other level as the 3.1.1 decoder does; the 3.1.1 decoder reads any level in the
    ///     3.1.1 layout, or keeps the fields as bytes when they do not follow it
    ///     (``ConnectPacket/undecodedFields``, a real MQTT 5.0 CONNECT), so that a 3.1.1 server
    ///     can answer CONNACK 1 [MQTT-3.1.2-2]. Default: 3.1.1.
    ///   - maximumPacketSize: packets announcing more bytes than this (fixed header included)
    ///     are refused from their fixed header alone. Default: the protocol maximum.
    /// - Returns: the packet, or `nil` when the buffer does not yet hold a whole packet; the
    ///   buffer is then left untouched.
    /// - Throws: ``MQTTDecodingError`` for malformed input; the MQTT 5.0 decoder's errors come
    ///   wrapped in ``MQTTDecodingError/mqtt5(_:)`` (except those of a 3.1.1 CONNECT), so
    ///   that they name the statements of MQTT 5.0.
    public static func decode(
        from buffer: inout ByteBuffer,
        version: MQTTProtocolVersion = .v311,
        maximumPacketSize: Int = MQTTPacket.maximumSize
    ) throws(MQTTDecodingError) -> MQTTPacket? {
        if version == .v5 { return try decode5(from: &buffer, maximumPacketSize: maximumPacketSize) }
        guard let header = try MQTTFixedHeader.peek(in: buffer, maximumPacketSize: maximumPacketSize),
            buffer.readableBytes >= header.packetLength
        else { return nil }
        buffer.moveReaderIndex(forwardBy: header.headerLength)
        guard let body = buffer.readSlice(length: header.remainingLength) else { return nil }
        return try decodeBody(header: header, body: body)
    }

    /// The largest packet MQTT 3.1.1 can express: a remaining length of 268,435,455 bytes plus
    /// a five-byte fixed header.
    public static let maximumSize = 268_435_460

    /// Decodes a packet body once its fixed header is known.
    static func decodeBody(header: MQTTFixedHeader, body: ByteBuffer) throws(MQTTDecodingError) -> MQTTPacket {
        var reader = PacketBodyReader(buffer: body, type: header.type)
        let packet: MQTTPacket
        switch header.type {
        case .publish:
            // The hot path: no trailing-bytes check needed, the payload takes the rest.
            return .publish(try decodePublish(&reader, flags: header.flags))
        case .connect:
            packet = .connect(try decodeConnect(&reader, version: .v311))
        case .connack:
            packet = .connack(try decodeConnAck(&reader))
        case .puback: packet = .puback(packetID: try reader.readPacketID())
        case .pubrec: packet = .pubrec(packetID: try reader.readPacketID())
        case .pubrel: packet = .pubrel(packetID: try reader.readPacketID())
        case .pubcomp: packet = .pubcomp(packetID: try reader.readPacketID())
        case .unsuback: packet = .unsuback(packetID: try reader.readPacketID())
        case .subscribe:
            let id = try reader.readPacketID()
            var subscriptions: [SubscribePacket.Subscription] = []
            while !reader.isAtEnd {
                let filter = try reader.readTopicFilter()
                let requested = try reader.readByte(.requestedQoS)
                guard requested & 0xFC == 0, let qos = MQTTQoS(rawValue: requested) else {
                    throw .invalidRequestedQoS(requested)
                }
                subscriptions.append(.init(filter: filter, qos: qos))
            }
            guard !subscriptions.isEmpty else { throw .emptySubscribe }
            packet = .subscribe(SubscribePacket(packetID: id, subscriptions: subscriptions))
        case .suback:
            let id = try reader.readPacketID()
            var codes: [SubAckPacket.ReturnCode] = []
            while !reader.isAtEnd {
                let byte = try reader.readByte(.returnCode)
                guard let code = SubAckPacket.ReturnCode(rawValue: byte) else { throw .reservedSubAckReturnCode(byte) }
                codes.append(code)
            }
            guard !codes.isEmpty else { throw .emptySubAck }
            packet = .suback(SubAckPacket(packetID: id, returnCodes: codes))
        case .unsubscribe:
            let id = try reader.readPacketID()
            var filters: [TopicFilter] = []
            while !reader.isAtEnd { filters.append(try reader.readTopicFilter()) }
            guard !filters.isEmpty else { throw .emptyUnsubscribe }
            packet = .unsubscribe(UnsubscribePacket(packetID: id, filters: filters))
        case .pingreq: packet = .pingreq
        case .pingresp: packet = .pingresp
        case .disconnect: packet = .disconnect
        case .auth: throw .reservedPacketType(MQTTPacketType.auth.rawValue)
        }
        try reader.expectEnd()
        return packet
    }

    @inline(__always)
    private static func decodePublish(_ reader: inout PacketBodyReader, flags: UInt8) throws(MQTTDecodingError) -> PublishPacket {
        let topic = try reader.readTopicName(.topicName)
        // The fixed-header check already refused QoS 3.
        let qos = MQTTQoS(rawValue: (flags >> 1) & 0x03) ?? .atMostOnce
        let packetID: UInt16? = qos == .atMostOnce ? nil : try reader.readPacketID()
        return PublishPacket(
            topic: topic,
            payload: reader.readRest(),
            qos: qos,
            packetID: packetID,
            dup: flags & 0x08 != 0,
            retain: flags & 0x01 != 0
        )
    }

    private static func decodeConnAck(_ reader: inout PacketBodyReader) throws(MQTTDecodingError) -> ConnAckPacket {
        let flags = try reader.readByte(.acknowledgeFlags)
        guard flags & 0xFE == 0 else { throw .reservedConnAckFlags(flags) }
        let code = try reader.readByte(.returnCode)
        guard let returnCode = ConnectReturnCode(rawValue: code) else { throw .reservedConnectReturnCode(code) }
        if flags == 1, returnCode != .accepted { throw .sessionPresentWithRefusal(returnCode) }
        return ConnAckPacket(sessionPresent: flags == 1, returnCode: returnCode)
    }

    /// CONNECT (section 3.1). The protocol level is not checked: a server answers an unknown
    /// level with CONNACK 1 [MQTT-3.1.2-2], so it must get the packet. The MQTT 5.0 decoder
    /// reads a level-5 CONNECT in the 5.0 layout, and throws its errors wrapped in
    /// ``MQTTDecodingError/mqtt5(_:)``.
    static func decodeConnect(_ reader: inout PacketBodyReader, version: MQTTProtocolVersion) throws(MQTTDecodingError) -> ConnectPacket {
        let name = try reader.readString(.protocolName)
        guard name == "MQTT" || name == "MQIsdp" else { throw .invalidProtocolName(name) }
        let level = try reader.readByte(.protocolLevel)
        if level == 5, version == .v5 {
            do throws(MQTTDecodingError) {
                guard name == "MQTT" else { throw .invalidProtocolName(name) }
                return try decodeConnectFields(&reader, name: name, level: level, layout: .v5)
            } catch {
                throw .mqtt5(error)
            }
        }
        guard level == 3 || level == 4 else {
            // Another protocol version (MQTT 5, a bridge bit): the server must still answer
            // CONNACK 0x01 [MQTT-3.1.2-2], so the packet decodes. Fields in the 3.1.1 layout
            // (a bridge's 0x84) are read; any other layout is another specification's
            // [MQTT-3.1.2-1] and is kept verbatim, so the packet encodes back to its bytes.
            var attempt = reader
            if let connect = try? decodeConnectFields(&attempt, name: name, level: level) {
                reader = attempt
                return connect
            }
            return ConnectPacket(
                protocolName: name,
                protocolLevel: level,
                clientID: "",
                cleanSession: true,
                keepAlive: 0,
                undecodedFields: reader.readRest()
            )
        }
        return try decodeConnectFields(&reader, name: name, level: level)
    }

    /// The CONNECT fields after the protocol level, in the 3.1.1 layout or the 5.0 one (which
    /// adds the CONNECT properties after the keep-alive and the will's properties before its
    /// topic, and allows a password without a user name, section 3.1.2.9).
    private static func decodeConnectFields(
        _ reader: inout PacketBodyReader,
        name: String,
        level: UInt8,
        layout: MQTTProtocolVersion = .v311
    ) throws(MQTTDecodingError) -> ConnectPacket {
        let flags = try reader.readByte(.connectFlags)
        typealias Flags = ConnectPacket.Flags
        guard flags & Flags.reserved == 0 else { throw .reservedConnectFlagSet }
        let hasWill = flags & Flags.will != 0
        let hasUsername = flags & Flags.username != 0
        let hasPassword = flags & Flags.password != 0
        let willQoSBits = (flags & Flags.willQoSMask) >> Flags.willQoSShift
        if !hasWill {
            if willQoSBits != 0 { throw .willQoSWithoutWillFlag(willQoSBits) }
            if flags & Flags.willRetain != 0 { throw .willRetainWithoutWillFlag }
        }
        if willQoSBits == 3 { throw .invalidWillQoS }
        if layout == .v311, hasPassword, !hasUsername { throw .passwordWithoutUsername }
        let keepAlive = try reader.readUInt16(.keepAlive)
        let properties = layout == .v5 ? try reader.readProperties(.connect) : .none
        let clientID = try reader.readString(.clientIdentifier)
        var will: ConnectPacket.Will?
        if hasWill {
            let willProperties = layout == .v5 ? try reader.readProperties(.will, field: .willProperties) : .none
            let topic = try reader.readTopicName(.willTopic)
            let payload = try reader.readBinary(.willMessage)
            will = .init(
                topic: topic,
                payload: payload,
                qos: MQTTQoS(rawValue: willQoSBits) ?? .atMostOnce,
                retain: flags & Flags.willRetain != 0,
                properties: willProperties
            )
        }
        let username = hasUsername ? try reader.readString(.userName) : nil
        let password = hasPassword ? try reader.readBinary(.password) : nil
        if !reader.isAtEnd {
            // Fields come in a fixed order [MQTT-3.1.3-1] (5.0: section 3.1.3); extra bytes
            // sit where the first absent field after the last present one would be.
            if hasPassword { try reader.expectEnd() }
            throw .unflaggedConnectField(hasUsername ? .password : hasWill ? .userName : .willTopic)
        }
        return ConnectPacket(
            protocolName: name,
            protocolLevel: level,
            clientID: clientID,
            cleanSession: flags & Flags.cleanSession != 0,
            keepAlive: keepAlive,
            will: will,
            username: username,
            password: password,
            properties: properties
        )
    }
}
