import NIOCore

/// The fixed header of a packet whose first bytes have arrived.
public struct MQTTFixedHeader: Sendable, Hashable {
    public var type: MQTTPacketType
    public var flags: UInt8
    public var remainingLength: Int
    /// Bytes of the fixed header itself: the type byte and 1 to 4 length bytes.
    public var headerLength: Int

    /// Total size of the packet on the wire.
    public var packetLength: Int { headerLength + remainingLength }
}

extension MQTTFixedHeader {
    /// Reads a fixed header from the start of `buffer` without consuming anything.
    ///
    /// Checks the packet type, the flags (Table 2.2) and the size limit as soon as the bytes
    /// that carry them have arrived, so an oversized packet is refused before its body is
    /// buffered.
    /// - Returns: `nil` when more bytes are needed to read the header.
    public static func peek(in buffer: ByteBuffer, maximumPacketSize: Int) throws(MQTTDecodingError) -> MQTTFixedHeader? {
        let view = buffer.readableBytesView
        guard let first = view.first else { return nil }
        guard let type = MQTTPacketType(rawValue: first >> 4) else { throw .reservedPacketType(first >> 4) }
        let flags = first & 0x0F
        if let required = type.requiredFlags {
            guard flags == required else { throw .invalidFixedHeaderFlags(type, flags: flags) }
        } else {
            let qos = (flags >> 1) & 0x03
            if qos == 3 { throw .invalidPublishQoS }
            if qos == 0, flags & 0x08 != 0 { throw .duplicateFlagAtQoS0 }
        }
        var value = 0
        var multiplier = 1
        var index = view.index(after: view.startIndex)
        for position in 1...4 {
            guard index < view.endIndex else { return nil }
            let byte = view[index]
            value += Int(byte & 0x7F) * multiplier
            index = view.index(after: index)
            if byte & 0x80 == 0 {
                let header = MQTTFixedHeader(type: type, flags: flags, remainingLength: value, headerLength: 1 + position)
                guard header.packetLength <= maximumPacketSize else {
                    throw .packetTooLarge(size: header.packetLength, limit: maximumPacketSize)
                }
                return header
            }
            multiplier *= 128
        }
        throw .malformedRemainingLength
    }
}

extension MQTTPacket {
    /// Decodes one whole packet from the start of `buffer`, consuming it.
    ///
    /// - Returns: the packet, or `nil` when the buffer does not yet hold a whole packet; the
    ///   buffer is then left untouched.
    /// - Throws: ``MQTTDecodingError`` for malformed input.
    public static func decode(
        from buffer: inout ByteBuffer,
        maximumPacketSize: Int = 268_435_460
    ) throws(MQTTDecodingError) -> MQTTPacket? {
        guard let header = try MQTTFixedHeader.peek(in: buffer, maximumPacketSize: maximumPacketSize),
            buffer.readableBytes >= header.packetLength
        else { return nil }
        buffer.moveReaderIndex(forwardBy: header.headerLength)
        guard let body = buffer.readSlice(length: header.remainingLength) else { return nil }
        return try decodeBody(header: header, body: body)
    }

    /// Decodes a packet body once its fixed header is known.
    static func decodeBody(header: MQTTFixedHeader, body: ByteBuffer) throws(MQTTDecodingError) -> MQTTPacket {
        var reader = PacketBodyReader(buffer: body, type: header.type)
        let packet: MQTTPacket
        switch header.type {
        case .connect:
            packet = .connect(try decodeConnect(&reader))
        case .connack:
            let flags = try reader.readByte("acknowledge flags")
            guard flags & 0xFE == 0 else { throw .reservedConnAckFlags(flags) }
            let code = try reader.readByte("return code")
            guard let returnCode = ConnectReturnCode(rawValue: code) else { throw .reservedConnectReturnCode(code) }
            packet = .connack(ConnAckPacket(sessionPresent: flags == 1, returnCode: returnCode))
        case .publish:
            packet = .publish(try decodePublish(&reader, flags: header.flags))
        case .puback: packet = .puback(packetID: try reader.readUInt16("packet identifier"))
        case .pubrec: packet = .pubrec(packetID: try reader.readUInt16("packet identifier"))
        case .pubrel: packet = .pubrel(packetID: try reader.readUInt16("packet identifier"))
        case .pubcomp: packet = .pubcomp(packetID: try reader.readUInt16("packet identifier"))
        case .unsuback: packet = .unsuback(packetID: try reader.readUInt16("packet identifier"))
        case .subscribe:
            let id = try reader.readPacketID()
            var subscriptions: [SubscribePacket.Subscription] = []
            while !reader.isAtEnd {
                let filter = try readFilter(&reader)
                let requested = try reader.readByte("requested QoS")
                guard requested & 0xFC == 0, let qos = MQTTQoS(rawValue: requested) else {
                    throw .invalidRequestedQoS(requested)
                }
                subscriptions.append(.init(filter: filter, qos: qos))
            }
            guard !subscriptions.isEmpty else { throw .emptySubscribe }
            packet = .subscribe(SubscribePacket(packetID: id, subscriptions: subscriptions))
        case .suback:
            let id = try reader.readUInt16("packet identifier")
            var codes: [SubAckPacket.ReturnCode] = []
            while !reader.isAtEnd {
                let byte = try reader.readByte("return code")
                guard let code = SubAckPacket.ReturnCode(rawValue: byte) else { throw .reservedSubAckReturnCode(byte) }
                codes.append(code)
            }
            guard !codes.isEmpty else { throw .emptySubAck }
            packet = .suback(SubAckPacket(packetID: id, returnCodes: codes))
        case .unsubscribe:
            let id = try reader.readPacketID()
            var filters: [TopicFilter] = []
            while !reader.isAtEnd { filters.append(try readFilter(&reader)) }
            guard !filters.isEmpty else { throw .emptyUnsubscribe }
            packet = .unsubscribe(UnsubscribePacket(packetID: id, filters: filters))
        case .pingreq: packet = .pingreq
        case .pingresp: packet = .pingresp
        case .disconnect: packet = .disconnect
        }
        try reader.expectEnd()
        return packet
    }

    private static func decodePublish(_ reader: inout PacketBodyReader, flags: UInt8) throws(MQTTDecodingError) -> PublishPacket {
        let topicText = try reader.readString("topic name")
        let topic: TopicName
        do { topic = try TopicName(topicText) } catch { throw .invalidTopic(.publish, error) }
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

    private static func decodeConnect(_ reader: inout PacketBodyReader) throws(MQTTDecodingError) -> ConnectPacket {
        let name = try reader.readString("protocol name")
        guard name == "MQTT" || name == "MQIsdp" else { throw .invalidProtocolName(name) }
        let level = try reader.readByte("protocol level")
        guard level == 3 || level == 4 else {
            // Another protocol version (MQTT 5, a bridge bit): the rest follows rules this codec
            // does not know. The CONNECT carries only its name and level, so the server can
            // answer CONNACK 0x01 as [MQTT-3.1.2-2] requires instead of closing on a parse error.
            reader.skipToEnd()
            return ConnectPacket(protocolName: name, protocolLevel: level, clientID: "", cleanSession: true, keepAlive: 0)
        }
        let flags = try reader.readByte("connect flags")
        typealias Flags = ConnectPacket.Flags
        guard flags & Flags.reserved == 0 else { throw .reservedConnectFlagSet }
        let hasWill = flags & Flags.will != 0
        let willQoSBits = (flags & Flags.willQoSMask) >> Flags.willQoSShift
        if !hasWill, willQoSBits != 0 || flags & Flags.willRetain != 0 { throw .willFieldsWithoutWillFlag }
        if willQoSBits == 3 { throw .invalidWillQoS }
        if flags & Flags.password != 0, flags & Flags.username == 0 { throw .passwordWithoutUsername }
        let keepAlive = try reader.readUInt16("keep alive")
        let clientID = try reader.readString("client identifier")
        var will: ConnectPacket.Will?
        if hasWill {
            let topicText = try reader.readString("will topic")
            let topic: TopicName
            do { topic = try TopicName(topicText) } catch { throw .invalidTopic(.connect, error) }
            let payload = try reader.readBinary("will message")
            will = .init(
                topic: topic,
                payload: payload,
                qos: MQTTQoS(rawValue: willQoSBits) ?? .atMostOnce,
                retain: flags & Flags.willRetain != 0
            )
        }
        let username = flags & Flags.username != 0 ? try reader.readString("user name") : nil
        let password = flags & Flags.password != 0 ? try reader.readBinary("password") : nil
        return ConnectPacket(
            protocolName: name,
            protocolLevel: level,
            clientID: clientID,
            cleanSession: flags & Flags.cleanSession != 0,
            keepAlive: keepAlive,
            will: will,
            username: username,
            password: password
        )
    }

    private static func readFilter(_ reader: inout PacketBodyReader) throws(MQTTDecodingError) -> TopicFilter {
        let text = try reader.readString("topic filter")
        do { return try TopicFilter(text) } catch { throw .invalidTopic(reader.type, error) }
    }
}
