import NIOCore

extension MQTTPacket {
    /// Appends the packet's wire form (fixed header and body) to `buffer`.
    ///
    /// Nothing is written when the packet cannot be encoded.
    /// - Parameter version: the connection's protocol version, whose layout the packet takes.
    ///   The MQTT 5.0 encoder writes a CONNECT of a level other than 5 in the 3.1.1 layout, as
    ///   its decoder reads it. Default: 3.1.1, which refuses the fields only MQTT 5.0 has (and
    ///   writes any CONNECT, of level 5 too, in the 3.1.1 layout).
    /// - Throws: ``MQTTEncodingError`` when a field or the whole packet is too large, when the
    ///   packet would break a rule its receiver must refuse it for, or when it has MQTT 5.0
    ///   fields and `version` is 3.1.1.
    public func encode(into buffer: inout ByteBuffer, version: MQTTProtocolVersion = .v311) throws(MQTTEncodingError) {
        let remaining = try checkedRemainingLength(version: version)
        buffer.reserveCapacity(minimumWritableBytes: 1 + remainingLengthSize(remaining) + remaining)
        write(remainingLength: remaining, version: version, into: &buffer)
    }

    /// The packet's wire form in a new buffer of exactly its size.
    /// - Throws: ``MQTTEncodingError``, as ``encode(into:version:)``.
    public func encoded(version: MQTTProtocolVersion = .v311, allocator: ByteBufferAllocator = ByteBufferAllocator()) throws(MQTTEncodingError) -> ByteBuffer {
        let remaining = try checkedRemainingLength(version: version)
        var buffer = allocator.buffer(capacity: 1 + remainingLengthSize(remaining) + remaining)
        write(remainingLength: remaining, version: version, into: &buffer)
        return buffer
    }

    /// The remaining length, after checking the packet can be encoded.
    private func checkedRemainingLength(version: MQTTProtocolVersion) throws(MQTTEncodingError) -> Int {
        let remaining = version == .v5 ? try checkedBodyLength5() : try checkedBodyLength()
        guard remaining <= ByteBuffer.maximumRemainingLength else {
            throw .packetTooLarge(remainingLength: remaining)
        }
        return remaining
    }

    /// Writes the fixed header and the body of a checked packet.
    private func write(remainingLength: Int, version: MQTTProtocolVersion, into buffer: inout ByteBuffer) {
        buffer.writeInteger(type.rawValue << 4 | fixedHeaderFlags)
        buffer.writeRemainingLength(remainingLength)
        if version == .v5 { encodeBody5(into: &buffer) } else { encodeBody(into: &buffer) }
    }

    /// The fixed-header flag nibble.
    var fixedHeaderFlags: UInt8 {
        if case .publish(let publish) = self { return publish.flags }
        return type.requiredFlags ?? 0
    }

    /// The remaining length, after checking every rule the types do not already guarantee.
    private func checkedBodyLength() throws(MQTTEncodingError) -> Int {
        try checkNoVersion5Fields()
        switch self {
        case .connect(let connect):
            return try connect.checkedBodyLength()
        case .connack(let connack):
            if connack.sessionPresent, connack.returnCode != .accepted {
                throw .malformed(.sessionPresentWithRefusal(connack.returnCode))
            }
            return 2
        case .auth:
            throw .version5Only("AUTH")
        case .publish(let publish):
            if publish.qos == .atMostOnce {
                if publish.dup { throw .malformed(.duplicateFlagAtQoS0) }
                if publish.packetID != nil { throw .packetIdentifierAtQoS0 }
            } else {
                guard let id = publish.packetID else { throw .missingPacketIdentifier }
                if id == 0 { throw .malformed(.zeroPacketIdentifier(.publish)) }
            }
            return 2 + publish.topic.string.utf8.count + (publish.qos == .atMostOnce ? 0 : 2) + publish.payload.readableBytes
        case .puback(let ack), .pubrec(let ack), .pubrel(let ack), .pubcomp(let ack):
            if ack.packetID == 0 { throw .malformed(.zeroPacketIdentifier(type)) }
            return 2
        case .unsuback(let unsuback):
            if unsuback.packetID == 0 { throw .malformed(.zeroPacketIdentifier(type)) }
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

    /// Writes the body of a checked packet in the MQTT 3.1.1 layout.
    func encodeBody(into buffer: inout ByteBuffer) {
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
        case .puback(let ack), .pubrec(let ack), .pubrel(let ack), .pubcomp(let ack):
            buffer.writeInteger(ack.packetID)
        case .unsuback(let unsuback):
            buffer.writeInteger(unsuback.packetID)
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
        case .pingreq, .pingresp, .disconnect, .auth:
            break
        }
    }

    /// Refuses, for an MQTT 3.1.1 encoding, every field only MQTT 5.0 has: properties, reason
    /// codes 3.1.1 cannot express, subscription options beyond the QoS, AUTH.
    private func checkNoVersion5Fields() throws(MQTTEncodingError) {
        guard properties.isEmpty else { throw .version5Only("\(type) properties") }
        switch self {
        case .connect(let connect):
            if let will = connect.will, !will.properties.isEmpty { throw .version5Only("will properties") }
        case .connack(let connack):
            if ConnectReturnCode(exactly: connack.reasonCode) == nil { throw .version5Only("CONNACK reason code \(connack.reasonCode)") }
        case .puback(let ack), .pubrec(let ack), .pubrel(let ack), .pubcomp(let ack):
            if ack.reasonCode != .success { throw .version5Only("\(type) reason code \(ack.reasonCode)") }
        case .publish(let publish):
            if publish.topic.string.utf8.isEmpty { throw .malformed(.invalidTopic(.publish, .empty)) }
        case .subscribe(let subscribe):
            if let options = subscribe.subscriptions.first(where: { !$0.hasOnlyQoS }) {
                throw .version5Only("subscription options of '\(options.filter)' beyond the QoS")
            }
        case .suback(let suback):
            if let code = suback.reasonCodes.first(where: { SubAckPacket.ReturnCode(rawValue: $0.rawValue) == nil }) {
                throw .version5Only("SUBACK reason code \(code.description(in: .suback))")
            }
        case .unsuback(let unsuback):
            if !unsuback.reasonCodes.isEmpty { throw .version5Only("UNSUBACK reason codes") }
        case .disconnect(let disconnect):
            if disconnect.reasonCode != .normalDisconnection { throw .version5Only("DISCONNECT reason code \(disconnect.reasonCode.description(in: .disconnect))") }
        case .auth:
            throw .version5Only("AUTH")
        case .unsubscribe, .pingreq, .pingresp:
            break
        }
    }
}

extension ConnectPacket {
    /// The CONNECT remaining length, after checking the protocol name, the flags and every
    /// string and binary field.
    func checkedBodyLength() throws(MQTTEncodingError) -> Int {
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
    static func checkedLength(of string: String, field: MQTTPacketField) throws(MQTTEncodingError) -> Int {
        let count = string.utf8.count
        guard count <= 65_535 else { throw .fieldTooLong(field: field, byteCount: count) }
        if string.containsNullByte { throw .malformed(.nullCharacter(.connect, field: field)) }
        return 2 + count
    }

    /// Prefix and bytes of a binary field: at most 65,535 bytes.
    static func checkedLength(of data: ByteBuffer, field: MQTTPacketField) throws(MQTTEncodingError) -> Int {
        let count = data.readableBytes
        guard count <= 65_535 else { throw .fieldTooLong(field: field, byteCount: count) }
        return 2 + count
    }
}
