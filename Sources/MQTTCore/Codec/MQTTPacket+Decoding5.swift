import NIOCore

extension MQTTPacket {
    /// Decodes one MQTT 5.0 packet (see ``decode(from:version:maximumPacketSize:)``).
    static func decode5(from buffer: inout ByteBuffer, maximumPacketSize: Int) throws(MQTTDecodingError) -> MQTTPacket? {
        let header: MQTTFixedHeader
        do {
            guard let peeked = try MQTTFixedHeader.peek(in: buffer, version: .v5, maximumPacketSize: maximumPacketSize),
                buffer.readableBytes >= peeked.packetLength
            else { return nil }
            header = peeked
        } catch {
            throw .mqtt5(error)
        }
        buffer.moveReaderIndex(forwardBy: header.headerLength)
        guard let body = buffer.readSlice(length: header.remainingLength) else { return nil }
        if header.type == .connect {
            // A CONNECT names its own version: decodeConnect wraps the errors of a level-5
            // one; those of a 3.1.1 one name 3.1.1's statements.
            var reader = PacketBodyReader(buffer: body, type: .connect)
            let connect = try decodeConnect(&reader, version: .v5)
            try reader.expectEnd()
            return .connect(connect)
        }
        do {
            return try decodeBody5(header: header, body: body)
        } catch {
            throw .mqtt5(error)
        }
    }

    /// Decodes an MQTT 5.0 packet body other than CONNECT once its fixed header is known.
    static func decodeBody5(header: MQTTFixedHeader, body: ByteBuffer) throws(MQTTDecodingError) -> MQTTPacket {
        var reader = PacketBodyReader(buffer: body, type: header.type)
        let packet: MQTTPacket
        switch header.type {
        case .publish:
            return .publish(try decodePublish5(&reader, flags: header.flags))
        case .connect:
            packet = .connect(try decodeConnect(&reader, version: .v5))
        case .connack:
            let flags = try reader.readByte(.acknowledgeFlags)
            guard flags & 0xFE == 0 else { throw .reservedConnAckFlags(flags) }
            let code = try reader.readReasonCode()
            if flags == 1, code != .success { throw .sessionPresentWithReasonCode(code) }
            let properties = try reader.readProperties(.connack)
            packet = .connack(ConnAckPacket(sessionPresent: flags == 1, reasonCode: code, properties: properties))
        case .puback: packet = .puback(try decodePublishAck5(&reader))
        case .pubrec: packet = .pubrec(try decodePublishAck5(&reader))
        case .pubrel: packet = .pubrel(try decodePublishAck5(&reader))
        case .pubcomp: packet = .pubcomp(try decodePublishAck5(&reader))
        case .subscribe:
            let id = try reader.readPacketID()
            let properties = try reader.readProperties(.subscribe)
            var subscriptions: [SubscribePacket.Subscription] = []
            while !reader.isAtEnd {
                let filter = try reader.readTopicFilter()
                subscriptions.append(try decodeSubscriptionOptions(try reader.readByte(.subscriptionOptions), filter: filter))
            }
            guard !subscriptions.isEmpty else { throw .emptySubscribe }
            packet = .subscribe(SubscribePacket(packetID: id, subscriptions: subscriptions, properties: properties))
        case .suback:
            let id = try reader.readPacketID()
            let properties = try reader.readProperties(.suback)
            var codes: [MQTTReasonCode] = []
            while !reader.isAtEnd { codes.append(try reader.readReasonCode()) }
            guard !codes.isEmpty else { throw .emptySubAck }
            packet = .suback(SubAckPacket(packetID: id, reasonCodes: codes, properties: properties))
        case .unsubscribe:
            let id = try reader.readPacketID()
            let properties = try reader.readProperties(.unsubscribe)
            var filters: [TopicFilter] = []
            while !reader.isAtEnd { filters.append(try reader.readTopicFilter()) }
            guard !filters.isEmpty else { throw .emptyUnsubscribe }
            packet = .unsubscribe(UnsubscribePacket(packetID: id, filters: filters, properties: properties))
        case .unsuback:
            let id = try reader.readPacketID()
            let properties = try reader.readProperties(.unsuback)
            var codes: [MQTTReasonCode] = []
            while !reader.isAtEnd { codes.append(try reader.readReasonCode()) }
            guard !codes.isEmpty else { throw .emptyUnsubAck }
            packet = .unsuback(UnsubAckPacket(packetID: id, reasonCodes: codes, properties: properties))
        case .pingreq: packet = .pingreq
        case .pingresp: packet = .pingresp
        case .disconnect:
            // Remaining length 0: Normal disconnection without properties (section 3.14.2.1).
            let code = reader.isAtEnd ? .normalDisconnection : try reader.readReasonCode()
            let properties = reader.isAtEnd ? MQTTProperties.none : try reader.readProperties(.disconnect)
            packet = .disconnect(DisconnectPacket(reasonCode: code, properties: properties))
        case .auth:
            // Remaining length 0: Success without properties (section 3.15.2.1).
            let code = reader.isAtEnd ? .success : try reader.readReasonCode()
            let properties = reader.isAtEnd ? MQTTProperties.none : try reader.readProperties(.auth)
            packet = .auth(AuthPacket(reasonCode: code, properties: properties))
        }
        try reader.expectEnd()
        return packet
    }

    /// PUBACK, PUBREC, PUBREL, PUBCOMP: the reason code and the properties may be left out
    /// (remaining length 2: Success; 3: no properties).
    private static func decodePublishAck5(_ reader: inout PacketBodyReader) throws(MQTTDecodingError) -> PublishAckPacket {
        let id = try reader.readPacketID()
        guard !reader.isAtEnd else { return PublishAckPacket(packetID: id) }
        let code = try reader.readReasonCode()
        guard let context = MQTTPropertyContext(reader.type), !reader.isAtEnd else { return PublishAckPacket(packetID: id, reasonCode: code) }
        return PublishAckPacket(packetID: id, reasonCode: code, properties: try reader.readProperties(context))
    }

    @inline(__always)
    private static func decodePublish5(_ reader: inout PacketBodyReader, flags: UInt8) throws(MQTTDecodingError) -> PublishPacket {
        let topic = try reader.readTopicName(.topicName, allowingEmpty: true)
        // The fixed-header check already refused QoS 3.
        let qos = MQTTQoS(rawValue: (flags >> 1) & 0x03) ?? .atMostOnce
        let packetID: UInt16? = qos == .atMostOnce ? nil : try reader.readPacketID()
        let properties = try reader.readProperties(.publish)
        // An empty topic name stands for the one its Topic Alias maps to (section 3.3.2.3.4).
        if topic.string.utf8.isEmpty, properties.topicAlias == nil { throw .emptyTopicWithoutAlias }
        return PublishPacket(
            topic: topic,
            payload: reader.readRest(),
            qos: qos,
            packetID: packetID,
            dup: flags & 0x08 != 0,
            retain: flags & 0x01 != 0,
            properties: properties
        )
    }

    /// A subscription's options byte (section 3.8.3.1, Figure 3-21).
    private static func decodeSubscriptionOptions(_ options: UInt8, filter: TopicFilter) throws(MQTTDecodingError) -> SubscribePacket.Subscription {
        guard options & 0xC0 == 0 else { throw .reservedSubscriptionOptions(options) }
        guard let qos = MQTTQoS(rawValue: options & 0x03),
            let retainHandling = SubscribePacket.RetainHandling(rawValue: (options >> 4) & 0x03)
        else { throw .invalidSubscriptionOptions(options) }
        let noLocal = options & 0x04 != 0
        if SharedSubscription.isShared(filter.string) {
            guard SharedSubscription.isWellFormed(filter.string) else { throw .invalidSharedSubscription(filter.string) }
            if noLocal { throw .noLocalOnSharedSubscription(filter.string) }
        }
        return SubscribePacket.Subscription(
            filter: filter,
            qos: qos,
            noLocal: noLocal,
            retainAsPublished: options & 0x08 != 0,
            retainHandling: retainHandling
        )
    }
}

extension PacketBodyReader {
    /// A reason code the packet may carry (Table 2-6 and the packet's own table).
    mutating func readReasonCode() throws(MQTTDecodingError) -> MQTTReasonCode {
        let byte = try readByte(.reasonCode)
        guard let code = MQTTReasonCode(rawValue: byte), code.isAllowed(in: type) else { throw .invalidReasonCode(type, byte) }
        return code
    }

    /// A Property Length and the properties it covers, checked for `context`.
    @inline(__always)
    mutating func readProperties(_ context: MQTTPropertyContext, field: MQTTPacketField = .properties) throws(MQTTDecodingError) -> MQTTProperties {
        let length: Int
        // The usual case first: a Property Length below 128 is one byte.
        if let byte = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self), byte < 0x80 {
            buffer.moveReaderIndex(forwardBy: 1)
            length = Int(byte)
        } else {
            do {
                length = try buffer.readVariableByteInteger()
            } catch {
                switch error {
                case .truncated: throw .truncated(type, field: field)
                case .tooLong: throw .invalidProperty(context, .malformedVariableByteInteger)
                case .nonMinimal: throw .invalidProperty(context, .nonMinimalVariableByteInteger)
                }
            }
        }
        guard length > 0 else { return .none }
        guard length <= buffer.readableBytes else {
            throw .invalidProperty(context, .lengthBeyondPacket(length: length, available: buffer.readableBytes))
        }
        // Checked in place, then kept as a slice of the packet (no copy).
        if let problem = buffer.withUnsafeReadableBytes({ PropertyValidator.check(UnsafeRawBufferPointer(rebasing: $0[..<length]), in: context) }) {
            throw .invalidProperty(context, problem)
        }
        guard let slice = buffer.readSlice(length: length) else { throw .truncated(type, field: field) }
        return MQTTProperties(validated: slice)
    }
}
