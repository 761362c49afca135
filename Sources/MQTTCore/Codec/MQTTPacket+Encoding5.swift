import NIOCore

extension MQTTPacket {
    /// The MQTT 5.0 remaining length, after checking every rule the MQTT 5.0 decoder checks,
    /// so that what encodes decodes back to an equal packet. A CONNECT of a level other than 5
    /// keeps the 3.1.1 layout.
    func checkedBodyLength5() throws(MQTTEncodingError) -> Int {
        if case .connect(let connect) = self {
            return connect.protocolLevel == 5 && connect.undecodedFields == nil ? try connect.checkedBodyLength5() : try connect.checkedBodyLength()
        }
        do {
            return try bodyLength5()
        } catch {
            throw error.wrappedAsVersion5
        }
    }

    private func bodyLength5() throws(MQTTEncodingError) -> Int {
        switch self {
        case .connect(let connect):
            return try connect.checkedBodyLength5()
        case .connack(let connack):
            try Self.check(connack.reasonCode, in: .connack)
            if connack.sessionPresent, connack.reasonCode != .success {
                throw .malformed(.sessionPresentWithReasonCode(connack.reasonCode))
            }
            return 2 + (try Self.checkedLength(of: connack.properties, in: .connack))
        case .publish(let publish):
            if publish.qos == .atMostOnce {
                if publish.dup { throw .malformed(.duplicateFlagAtQoS0) }
                if publish.packetID != nil { throw .packetIdentifierAtQoS0 }
            } else {
                guard let id = publish.packetID else { throw .missingPacketIdentifier }
                if id == 0 { throw .malformed(.zeroPacketIdentifier(.publish)) }
            }
            let properties = try Self.checkedLength(of: publish.properties, in: .publish)
            if publish.topic.string.utf8.isEmpty, publish.properties.topicAlias == nil { throw .malformed(.emptyTopicWithoutAlias) }
            return 2 + publish.topic.string.utf8.count + (publish.qos == .atMostOnce ? 0 : 2) + properties + publish.payload.readableBytes
        case .puback(let ack), .pubrec(let ack), .pubrel(let ack), .pubcomp(let ack):
            if ack.packetID == 0 { throw .malformed(.zeroPacketIdentifier(type)) }
            try Self.check(ack.reasonCode, in: type)
            guard let context = MQTTPropertyContext(type) else { return 2 }
            if ack.properties.isEmpty { return ack.reasonCode == .success ? 2 : 3 }
            return 3 + (try Self.checkedLength(of: ack.properties, in: context))
        case .subscribe(let subscribe):
            if subscribe.packetID == 0 { throw .malformed(.zeroPacketIdentifier(.subscribe)) }
            if subscribe.subscriptions.isEmpty { throw .malformed(.emptySubscribe) }
            var length = 2 + (try Self.checkedLength(of: subscribe.properties, in: .subscribe))
            for subscription in subscribe.subscriptions {
                let filter = subscription.filter.string
                if SharedSubscription.isShared(filter) {
                    guard SharedSubscription.isWellFormed(filter) else { throw .malformed(.invalidSharedSubscription(filter)) }
                    if subscription.noLocal { throw .malformed(.noLocalOnSharedSubscription(filter)) }
                }
                length += 2 + filter.utf8.count + 1
            }
            return length
        case .suback(let suback):
            if suback.packetID == 0 { throw .malformed(.zeroPacketIdentifier(.suback)) }
            if suback.reasonCodes.isEmpty { throw .malformed(.emptySubAck) }
            for code in suback.reasonCodes { try Self.check(code, in: .suback) }
            return 2 + (try Self.checkedLength(of: suback.properties, in: .suback)) + suback.reasonCodes.count
        case .unsubscribe(let unsubscribe):
            if unsubscribe.packetID == 0 { throw .malformed(.zeroPacketIdentifier(.unsubscribe)) }
            if unsubscribe.filters.isEmpty { throw .malformed(.emptyUnsubscribe) }
            let properties = try Self.checkedLength(of: unsubscribe.properties, in: .unsubscribe)
            return unsubscribe.filters.reduce(2 + properties) { $0 + 2 + $1.string.utf8.count }
        case .unsuback(let unsuback):
            if unsuback.packetID == 0 { throw .malformed(.zeroPacketIdentifier(.unsuback)) }
            if unsuback.reasonCodes.isEmpty { throw .malformed(.emptyUnsubAck) }
            for code in unsuback.reasonCodes { try Self.check(code, in: .unsuback) }
            return 2 + (try Self.checkedLength(of: unsuback.properties, in: .unsuback)) + unsuback.reasonCodes.count
        case .pingreq, .pingresp:
            return 0
        case .disconnect(let disconnect):
            return try Self.checkedLength(reasonCode: disconnect.reasonCode, properties: disconnect.properties, in: .disconnect)
        case .auth(let auth):
            return try Self.checkedLength(reasonCode: auth.reasonCode, properties: auth.properties, in: .auth)
        }
    }

    /// DISCONNECT and AUTH: nothing for Success without properties (section 3.14.2.1,
    /// 3.15.2.1), else the reason code and, when there are any, the properties.
    private static func checkedLength(reasonCode: MQTTReasonCode, properties: MQTTProperties, in context: MQTTPropertyContext) throws(MQTTEncodingError) -> Int {
        try check(reasonCode, in: context.packetType)
        if properties.isEmpty { return reasonCode == .success ? 0 : 1 }
        return 1 + (try checkedLength(of: properties, in: context))
    }

    private static func check(_ code: MQTTReasonCode, in type: MQTTPacketType) throws(MQTTEncodingError) {
        guard code.isAllowed(in: type) else { throw .malformed(.invalidReasonCode(type, code.rawValue)) }
    }

    /// The Property Length and properties' size, after checking them as the decoder does.
    static func checkedLength(of properties: MQTTProperties, in context: MQTTPropertyContext) throws(MQTTEncodingError) -> Int {
        if properties.isEmpty { return 1 }
        do {
            try MQTTProperties.validate(properties.bytes, in: context)
        } catch {
            throw .malformed(.invalidProperty(context, error))
        }
        return properties.encodedLength
    }

    /// Writes the body of a checked MQTT 5.0 packet.
    func encodeBody5(into buffer: inout ByteBuffer) {
        switch self {
        case .connect(let connect):
            if connect.protocolLevel == 5, connect.undecodedFields == nil {
                connect.encodeFields5(into: &buffer)
            } else {
                // A CONNECT of another level keeps its own layout on any connection.
                encodeBody(into: &buffer)
            }
        case .connack(let connack):
            buffer.writeInteger(UInt8(connack.sessionPresent ? 1 : 0))
            buffer.writeInteger(connack.reasonCode.rawValue)
            connack.properties.write(into: &buffer)
        case .publish(let publish):
            buffer.writeMQTTString(publish.topic.string)
            if let id = publish.packetID { buffer.writeInteger(id) }
            publish.properties.write(into: &buffer)
            buffer.writeImmutableBuffer(publish.payload)
        case .puback(let ack), .pubrec(let ack), .pubrel(let ack), .pubcomp(let ack):
            buffer.writeInteger(ack.packetID)
            if ack.reasonCode != .success || !ack.properties.isEmpty { buffer.writeInteger(ack.reasonCode.rawValue) }
            if !ack.properties.isEmpty { ack.properties.write(into: &buffer) }
        case .subscribe(let subscribe):
            buffer.writeInteger(subscribe.packetID)
            subscribe.properties.write(into: &buffer)
            for subscription in subscribe.subscriptions {
                buffer.writeMQTTString(subscription.filter.string)
                buffer.writeInteger(subscription.options)
            }
        case .suback(let suback):
            buffer.writeInteger(suback.packetID)
            suback.properties.write(into: &buffer)
            for code in suback.reasonCodes { buffer.writeInteger(code.rawValue) }
        case .unsubscribe(let unsubscribe):
            buffer.writeInteger(unsubscribe.packetID)
            unsubscribe.properties.write(into: &buffer)
            for filter in unsubscribe.filters { buffer.writeMQTTString(filter.string) }
        case .unsuback(let unsuback):
            buffer.writeInteger(unsuback.packetID)
            unsuback.properties.write(into: &buffer)
            for code in unsuback.reasonCodes { buffer.writeInteger(code.rawValue) }
        case .pingreq, .pingresp:
            break
        case .disconnect(let disconnect):
            Self.writeReasonAndProperties(disconnect.reasonCode, disconnect.properties, into: &buffer)
        case .auth(let auth):
            Self.writeReasonAndProperties(auth.reasonCode, auth.properties, into: &buffer)
        }
    }

    private static func writeReasonAndProperties(_ code: MQTTReasonCode, _ properties: MQTTProperties, into buffer: inout ByteBuffer) {
        guard code != .success || !properties.isEmpty else { return }
        buffer.writeInteger(code.rawValue)
        if !properties.isEmpty { properties.write(into: &buffer) }
    }
}

extension MQTTEncodingError {
    /// The error with its decoding error wrapped as MQTT 5.0's, so that it names 5.0's rules.
    var wrappedAsVersion5: MQTTEncodingError {
        if case .malformed(let error) = self, error.protocolVersion == .v311 { return .malformed(.mqtt5(error)) }
        return self
    }
}

extension ConnectPacket {
    /// The MQTT 5.0 CONNECT remaining length, after checking what the decoder checks.
    func checkedBodyLength5() throws(MQTTEncodingError) -> Int {
        do throws(MQTTEncodingError) {
            guard protocolName == "MQTT" else { throw .malformed(.invalidProtocolName(protocolName)) }
            var length = 2 + protocolName.utf8.count + 1 + 1 + 2
            length += try MQTTPacket.checkedLength(of: properties, in: .connect)
            length += try Self.checkedLength(of: clientID, field: .clientIdentifier)
            if let will {
                length += try MQTTPacket.checkedLength(of: will.properties, in: .will)
                length += 2 + will.topic.string.utf8.count
                length += try Self.checkedLength(of: will.payload, field: .willMessage)
            }
            if let username { length += try Self.checkedLength(of: username, field: .userName) }
            if let password { length += try Self.checkedLength(of: password, field: .password) }
            return length
        } catch {
            throw error.wrappedAsVersion5
        }
    }

    /// Writes the fields of a checked MQTT 5.0 CONNECT body.
    func encodeFields5(into buffer: inout ByteBuffer) {
        buffer.writeMQTTString(protocolName)
        buffer.writeInteger(protocolLevel)
        buffer.writeInteger(flags)
        buffer.writeInteger(keepAlive)
        properties.write(into: &buffer)
        buffer.writeMQTTString(clientID)
        if let will {
            will.properties.write(into: &buffer)
            buffer.writeMQTTString(will.topic.string)
            buffer.writeMQTTBinary(will.payload)
        }
        if let username { buffer.writeMQTTString(username) }
        if let password { buffer.writeMQTTBinary(password) }
    }
}
