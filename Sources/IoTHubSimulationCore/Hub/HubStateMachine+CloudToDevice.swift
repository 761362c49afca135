import IoTHubCore
import MQTTCore
import NIOCore

extension HubStateMachine {
    /// Accepts a C2D message from the cloud side into the device's queue and delivers it at
    /// once if the device is connected and subscribed.
    /// - Throws: ``CloudToDeviceError`` when the device is unknown, the queue is full, the body
    ///   is too large or the time to live is out of range. Nothing is enqueued then.
    public mutating func enqueue(
        _ request: CloudToDeviceRequest,
        for deviceID: DeviceID,
        messageID: String,
        at now: HubTime
    ) throws(CloudToDeviceError) -> [Action] {
        guard registry[deviceID] != nil else { throw .deviceNotFound(deviceID) }
        guard request.payload.readableBytes <= configuration.c2dMaximumSize else {
            throw .messageTooLarge(size: request.payload.readableBytes, limit: configuration.c2dMaximumSize)
        }
        let ttl = request.timeToLive ?? configuration.c2dDefaultTTL
        guard ttl >= .seconds(60), ttl <= .seconds(2 * 24 * 3600) else { throw .invalidTimeToLive(ttl) }
        let depth = sessions[deviceID]?.queue.count ?? 0
        guard depth < configuration.c2dQueueLimit else {
            throw .queueFull(deviceID, limit: configuration.c2dQueueLimit)
        }
        let message = QueuedMessage(
            messageID: request.messageID ?? messageID,
            payload: request.payload,
            properties: request.properties,
            correlationID: request.correlationID,
            acknowledgement: request.acknowledgement,
            userID: request.userID,
            contentType: request.contentType,
            contentEncoding: request.contentEncoding,
            absoluteExpiry: request.absoluteExpiry,
            enqueuedAt: now,
            expiresAt: request.absoluteExpiry ?? now + ttl,
            deliveryCount: 0,
            state: .enqueued
        )
        // Appended in place: a copy of the session would copy its queue too.
        sessions[deviceID, default: DeviceSession()].queue.append(message)
        var actions: [Action] = [
            .emit(.cloudToDeviceEnqueued(deviceID, messageID: message.messageID, queueDepth: depth + 1)),
            .wakeUp(at: message.expiresAt),
        ]
        deliverQueued(to: deviceID, at: now, actions: &actions)
        return actions
    }

    /// Removes every queued message of a device (the service's purge).
    /// - Returns: how many were purged, and the actions.
    public mutating func purgeQueue(of deviceID: DeviceID) -> (count: Int, actions: [Action]) {
        guard var session = sessions[deviceID] else { return (0, []) }
        let purged = session.queue
        session.queue.removeAll()
        sessions[deviceID] = session
        let actions = purged.map { Action.emit(.cloudToDeviceDeadLettered(deviceID, messageID: $0.messageID, reason: "purged")) }
        return (purged.count, actions)
    }

    /// Sends every enqueued message to the device if it is connected and holds a C2D
    /// subscription: at QoS 1 the message is locked until PUBACK; at QoS 0 it completes on
    /// sending. Redeliveries carry DUP.
    mutating func deliverQueued(to deviceID: DeviceID, at now: HubTime, actions: inout [Action]) {
        guard let connection = sessions[deviceID]?.connection, let qos = sessions[deviceID]?.cloudToDeviceQoS else { return }
        // Taken out of the dictionary so the queue is uniquely referenced and changes in place.
        guard var session = sessions.removeValue(forKey: deviceID) else { return }
        var index = 0
        while index < session.queue.count {
            var message = session.queue[index]
            guard message.state == .enqueued else {
                index += 1
                continue
            }
            if message.expiresAt <= now {
                session.queue.remove(at: index)
                actions.append(.emit(.cloudToDeviceDeadLettered(deviceID, messageID: message.messageID, reason: "expired")))
                continue
            }
            if message.deliveryCount >= configuration.c2dMaximumDeliveryCount {
                session.queue.remove(at: index)
                actions.append(
                    .emit(.cloudToDeviceDeadLettered(deviceID, messageID: message.messageID, reason: "delivery count exceeded"))
                )
                continue
            }
            message.deliveryCount += 1
            let topic: TopicName
            do {
                topic = try TopicName(IoTHubTopics.deviceboundTopic(deviceID, properties: message.topicProperties(for: deviceID)))
            } catch {
                session.queue.remove(at: index)
                actions.append(.emit(.cloudToDeviceDeadLettered(deviceID, messageID: message.messageID, reason: "\(error)")))
                continue
            }
            let duplicate = qos == .atLeastOnce && message.deliveryCount > 1
            if qos == .atLeastOnce {
                let packetID = session.nextPacketID()
                message.state = .invisible(packetID: packetID)
                session.queue[index] = message
                index += 1
                actions.append(
                    .send(.publish(PublishPacket(topic: topic, payload: message.payload, qos: .atLeastOnce, packetID: packetID, dup: duplicate)), to: connection)
                )
                actions.append(.emit(.cloudToDeviceDelivered(deviceID, messageID: message.messageID, qos: qos, duplicate: duplicate)))
            } else {
                session.queue.remove(at: index)
                actions.append(.send(.publish(PublishPacket(topic: topic, payload: message.payload)), to: connection))
                actions.append(.emit(.cloudToDeviceDelivered(deviceID, messageID: message.messageID, qos: qos, duplicate: false)))
                actions.append(.emit(.cloudToDeviceCompleted(deviceID, messageID: message.messageID)))
            }
        }
        sessions[deviceID] = session
    }

    /// PUBACK from the device completes the locked message with that packet id.
    mutating func acknowledge(packetID: UInt16, from deviceID: DeviceID, actions: inout [Action]) {
        guard let index = sessions[deviceID]?.queue.firstIndex(where: { $0.state == .invisible(packetID: packetID) }),
            let message = sessions[deviceID]?.queue.remove(at: index)
        else { return }
        actions.append(.emit(.cloudToDeviceCompleted(deviceID, messageID: message.messageID)))
    }
}
