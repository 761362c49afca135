import NIOCore

extension MQTTPacket {
    /// Appends the packet's wire form (fixed header and body) to `buffer`.
    /// - Throws: ``MQTTEncodingError`` when a field or the whole packet is too large.
    public func encode(into buffer: inout ByteBuffer) throws(MQTTEncodingError) {
        let remaining = try bodyLength()
        guard remaining <= ByteBuffer.maximumRemainingLength else {
            throw .packetTooLarge(remainingLength: remaining)
        }
        buffer.reserveCapacity(minimumWritableBytes: 1 + remainingLengthSize(remaining) + remaining)
        buffer.writeInteger(type.rawValue << 4 | fixedHeaderFlags)
        buffer.writeRemainingLength(remaining)
        try encodeBody(into: &buffer)
    }

    /// The packet's wire form in a new buffer.
    public func encoded(allocator: ByteBufferAllocator = ByteBufferAllocator()) throws(MQTTEncodingError) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 16)
        try encode(into: &buffer)
        return buffer
    }

    /// The fixed-header flag nibble.
    var fixedHeaderFlags: UInt8 {
        if case .publish(let publish) = self { return publish.flags }
        return type.requiredFlags ?? 0
    }

    private func bodyLength() throws(MQTTEncodingError) -> Int {
        switch self {
        case .connect(let connect):
            var length = 2 + connect.protocolName.utf8.count + 1 + 1 + 2 + 2 + connect.clientID.utf8.count
            if let will = connect.will { length += 2 + will.topic.string.utf8.count + 2 + will.payload.readableBytes }
            if let username = connect.username { length += 2 + username.utf8.count }
            if let password = connect.password { length += 2 + password.readableBytes }
            return length
        case .connack: return 2
        case .publish(let publish):
            return 2 + publish.topic.string.utf8.count + (publish.qos == .atMostOnce ? 0 : 2) + publish.payload.readableBytes
        case .puback, .pubrec, .pubrel, .pubcomp, .unsuback: return 2
        case .subscribe(let subscribe):
            return subscribe.subscriptions.reduce(2) { $0 + 2 + $1.filter.string.utf8.count + 1 }
        case .suback(let suback): return 2 + suback.returnCodes.count
        case .unsubscribe(let unsubscribe):
            return unsubscribe.filters.reduce(2) { $0 + 2 + $1.string.utf8.count }
        case .pingreq, .pingresp, .disconnect: return 0
        }
    }

    private func encodeBody(into buffer: inout ByteBuffer) throws(MQTTEncodingError) {
        switch self {
        case .connect(let connect):
            try buffer.writeMQTTString(connect.protocolName, field: "protocol name")
            buffer.writeInteger(connect.protocolLevel)
            buffer.writeInteger(connect.flags)
            buffer.writeInteger(connect.keepAlive)
            try buffer.writeMQTTString(connect.clientID, field: "client identifier")
            if let will = connect.will {
                try buffer.writeMQTTString(will.topic.string, field: "will topic")
                try buffer.writeMQTTBinary(will.payload, field: "will message")
            }
            if let username = connect.username { try buffer.writeMQTTString(username, field: "user name") }
            if let password = connect.password { try buffer.writeMQTTBinary(password, field: "password") }
        case .connack(let connack):
            buffer.writeInteger(UInt8(connack.sessionPresent ? 1 : 0))
            buffer.writeInteger(connack.returnCode.rawValue)
        case .publish(let publish):
            try buffer.writeMQTTString(publish.topic.string, field: "topic name")
            if publish.qos != .atMostOnce { buffer.writeInteger(publish.packetID ?? 0) }
            buffer.writeImmutableBuffer(publish.payload)
        case .puback(let id), .pubrec(let id), .pubrel(let id), .pubcomp(let id), .unsuback(let id):
            buffer.writeInteger(id)
        case .subscribe(let subscribe):
            buffer.writeInteger(subscribe.packetID)
            for subscription in subscribe.subscriptions {
                try buffer.writeMQTTString(subscription.filter.string, field: "topic filter")
                buffer.writeInteger(subscription.qos.rawValue)
            }
        case .suback(let suback):
            buffer.writeInteger(suback.packetID)
            for code in suback.returnCodes { buffer.writeInteger(code.rawValue) }
        case .unsubscribe(let unsubscribe):
            buffer.writeInteger(unsubscribe.packetID)
            for filter in unsubscribe.filters { try buffer.writeMQTTString(filter.string, field: "topic filter") }
        case .pingreq, .pingresp, .disconnect:
            break
        }
    }
}
