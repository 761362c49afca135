import NIOCore

extension MQTTPacket {
    /// Appends the packet's wire form (fixed header and body) to `buffer`.
    ///
    /// Nothing is written when the packet cannot be encoded.
    /// - Throws: ``MQTTEncodingError`` when a field or the whole packet is too large, or when
    ///   the packet would break a rule its receiver must refuse it for.
    public func encode(into buffer: inout ByteBuffer) throws(MQTTEncodingError) {
        let remaining = try checkedRemainingLength()
        buffer.reserveCapacity(minimumWritableBytes: 1 + remainingLengthSize(remaining) + remaining)
        write(remainingLength: remaining, into: &buffer)
    }

    /// The packet's wire form in a new buffer of exactly its size.
    /// - Throws: ``MQTTEncodingError``, as ``encode(into:)``.
    public func encoded(allocator: ByteBufferAllocator = ByteBufferAllocator()) throws(MQTTEncodingError) -> ByteBuffer {
        let remaining = try checkedRemainingLength()
        var buffer = allocator.buffer(capacity: 1 + remainingLengthSize(remaining) + remaining)
        write(remainingLength: remaining, into: &buffer)
        return buffer
    }

    /// The remaining length, after checking the packet can be encoded.
    private func checkedRemainingLength() throws(MQTTEncodingError) -> Int {
        let remaining = try checkedBodyLength()
        guard remaining <= ByteBuffer.maximumRemainingLength else {
            throw .packetTooLarge(remainingLength: remaining)
        }
        return remaining
    }

    /// Writes the fixed header and the body of a checked packet.
    private func write(remainingLength: Int, into buffer: inout ByteBuffer) {
        buffer.writeInteger(type.rawValue << 4 | fixedHeaderFlags)
        buffer.writeRemainingLength(remainingLength)
        encodeBody(into: &buffer)
    }

    /// The fixed-header flag nibble.
    var fixedHeaderFlags: UInt8 {
        if case .publish(let publish) = self { return publish.flags }
        return type.requiredFlags ?? 0
    }

    /// The remaining length, after checking every rule the types do not already guarantee.
    private func checkedBodyLength() throws(MQTTEncodingError) -> Int {
        switch self {
        case .connect(let connect):
            return try connect.checkedBodyLength()
        case .connack(let connack):
            if connack.sessionPresent, connack.returnCode != .accepted {
                throw .malformed(.sessionPresentWithRefusal(connack.returnCode))
            }
            return 2
        case .publish(let publish):
            if publish.qos == .atMostOnce {
                if publish.dup { throw .malformed(.duplicateFlagAtQoS0) }
                if publish.packetID != nil { throw .packetIdentifierAtQoS0 }
            } else {
                guard let id = publish.packetID else { throw .missingPacketIdentifier }
                if id == 0 { throw .malformed(.zeroPacketIdentifier(.publish)) }
            }
            return 2 + publish.topic.string.utf8.count + (publish.qos == .atMostOnce ? 0 : 2) + publish.payload.readableBytes
        case .puback(let id), .pubrec(let id), .pubrel(let id), .pubcomp(let id), .unsuback(let id):
            if id == 0 { throw .malformed(.zeroPacketIdentifier(type)) }
            return 2
        case .subscribe(let subscribe):
            if subscribe.packetID == 0 { throw .malformed(.zeroPacketIdentifier(.subscribe)) }
            if subscribe.subscriptions.isEmpty { throw .malformed(.emptySubscribe) }
            return subscribe.subscriptions.reduce(2) { $0 + 2 + $1.filter.string.utf8.count + 1 }
        case .suback(let suback):
            if suback.packetID == 0 { throw .malformed(.zeroPacketIdentifier(.suback)) }
            if suback.returnCodes.isEmpty { throw .malformed(.emptySubAck) }
            return 2 + suback.returnCodes.count
        case .unsubscribe(let unsubscribe):
            if unsubscribe.packetID == 0 { throw .malformed(.zeroPacketIdentifier(.unsubscribe)) }
            if unsubscribe.filters.isEmpty { throw .malformed(.emptyUnsubscribe) }
            return unsubscribe.filters.reduce(2) { $0 + 2 + $1.string.utf8.count }
        case .pingreq, .pingresp, .disconnect:
            return 0
        }
    }

    private func encodeBody(into buffer: inout ByteBuffer) {
        switch self {
        case .connect(let connect):
            buffer.writeMQTTString(connect.protocolName)
            buffer.writeInteger(connect.protocolLevel)
            if let fields = connect.undecodedFields {
                buffer.writeImmutableBuffer(fields)
                return
            }
            buffer.writeInteger(connect.flags)
            buffer.writeInteger(connect.keepAlive)
            buffer.writeMQTTString(connect.clientID)
            if let will = connect.will {
                buffer.writeMQTTString(will.topic.string)
                buffer.writeMQTTBinary(will.payload)
            }
            if let username = connect.username { buffer.writeMQTTString(username) }
            if let password = connect.password { buffer.writeMQTTBinary(password) }
        case .connack(let connack):
            buffer.writeInteger(UInt8(connack.sessionPresent ? 1 : 0))
            buffer.writeInteger(connack.returnCode.rawValue)
        case .publish(let publish):
            buffer.writeMQTTString(publish.topic.string)
            if let id = publish.packetID { buffer.writeInteger(id) }
            buffer.writeImmutableBuffer(publish.payload)
        case .puback(let id), .pubrec(let id), .pubrel(let id), .pubcomp(let id), .unsuback(let id):
            buffer.writeInteger(id)
        case .subscribe(let subscribe):
            buffer.writeInteger(subscribe.packetID)
            for subscription in subscribe.subscriptions {
                buffer.writeMQTTString(subscription.filter.string)
                buffer.writeInteger(subscription.qos.rawValue)
            }
        case .suback(let suback):
            buffer.writeInteger(suback.packetID)
            for code in suback.returnCodes { buffer.writeInteger(code.rawValue) }
        case .unsubscribe(let unsubscribe):
            buffer.writeInteger(unsubscribe.packetID)
            for filter in unsubscribe.filters { buffer.writeMQTTString(filter.string) }
        case .pingreq, .pingresp, .disconnect:
            break
        }
    }
}

extension ConnectPacket {
    /// The CONNECT remaining length, after checking the protocol name, the flags and every
    /// string and binary field.
    fileprivate func checkedBodyLength() throws(MQTTEncodingError) -> Int {
        guard protocolName == "MQTT" || protocolName == "MQIsdp" else { throw .malformed(.invalidProtocolName(protocolName)) }
        if let undecodedFields {
            // Only a level this codec does not speak keeps its fields undecoded.
            guard protocolLevel != 3, protocolLevel != 4 else { throw .undecodedFieldsAtKnownLevel(protocolLevel) }
            return 2 + protocolName.utf8.count + 1 + undecodedFields.readableBytes
        }
        if password != nil, username == nil { throw .malformed(.passwordWithoutUsername) }
        var length = 2 + protocolName.utf8.count + 1 + 1 + 2
        length += try Self.checkedLength(of: clientID, field: .clientIdentifier)
        if let will {
            length += 2 + will.topic.string.utf8.count
            length += try Self.checkedLength(of: will.payload, field: .willMessage)
        }
        if let username { length += try Self.checkedLength(of: username, field: .userName) }
        if let password { length += try Self.checkedLength(of: password, field: .password) }
        return length
    }

    /// Prefix and bytes of a string field: at most 65,535 bytes, no U+0000 [MQTT-1.5.3-2].
    private static func checkedLength(of string: String, field: MQTTPacketField) throws(MQTTEncodingError) -> Int {
        let count = string.utf8.count
        guard count <= 65_535 else { throw .fieldTooLong(field: field, byteCount: count) }
        if string.containsNullByte { throw .malformed(.nullCharacter(.connect, field: field)) }
        return 2 + count
    }

    /// Prefix and bytes of a binary field: at most 65,535 bytes.
    private static func checkedLength(of data: ByteBuffer, field: MQTTPacketField) throws(MQTTEncodingError) -> Int {
        let count = data.readableBytes
        guard count <= 65_535 else { throw .fieldTooLong(field: field, byteCount: count) }
        return 2 + count
    }
}
