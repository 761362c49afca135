import IoTHubCore
import MQTTCore
import NIOCore

extension HubStateMachine {
    /// Accepts a C2D message from the cloud side into the device's queue and delivers it at
    /// once if the device is connected and subscribed.
    /// - Parameter messageID: the id the hub assigns when the message has none.
    /// - Throws: ``CloudToDeviceError`` when the device is unknown, the queue is full or the
    ///   body is too large. Nothing is enqueued then.
    public mutating func enqueue(
        _ message: CloudToDeviceMessage,
        for deviceID: DeviceID,
        messageID: String,
        at now: HubTime
    ) throws(CloudToDeviceError) -> [Action] {
        guard registry[deviceID] != nil else { throw .deviceNotFound(deviceID) }
        guard message.payload.readableBytes <= configuration.c2dMaximumSize else {
            throw .messageTooLarge(size: message.payload.readableBytes, limit: configuration.c2dMaximumSize)
        }
        let depth = sessions[deviceID]?.queue.count ?? 0
        guard depth < configuration.c2dQueueLimit else {
            throw .queueFull(deviceID, limit: configuration.c2dQueueLimit)
        }
        let ttl = message.timeToLive ?? configuration.c2dDefaultTTL
        let queued = QueuedMessage(
            message: message,
            messageID: message.messageID ?? messageID,
            enqueuedAt: now,
            expiresAt: message.absoluteExpiry ?? now + ttl.duration,
            deliveryCount: 0,
            state: .enqueued
        )
        // Appended in place: a copy of the session would copy its queue too.
        sessions[deviceID, default: DeviceSession()].queue.append(queued)
        var actions: [Action] = [
            .emit(.cloudToDeviceEnqueued(deviceID, messageID: queued.messageID, queueDepth: depth + 1)),
            .wakeUp(at: queued.expiresAt),
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
            var queued = session.queue[index]
            guard queued.state == .enqueued else {
                index += 1
                continue
            }
            if queued.expiresAt <= now {
                session.queue.remove(at: index)
                actions.append(.emit(.cloudToDeviceDeadLettered(deviceID, messageID: queued.messageID, reason: "expired")))
                continue
            }
            if queued.deliveryCount >= configuration.c2dMaximumDeliveryCount {
                session.queue.remove(at: index)
                actions.append(
                    .emit(.cloudToDeviceDeadLettered(deviceID, messageID: queued.messageID, reason: "delivery count exceeded"))
                )
                continue
            }
            queued.deliveryCount += 1
            let topic: TopicName
            do {
                topic = try TopicName(queued.message.deviceboundTopic(to: deviceID, messageID: queued.messageID))
            } catch {
                session.queue.remove(at: index)
                actions.append(.emit(.cloudToDeviceDeadLettered(deviceID, messageID: queued.messageID, reason: "\(error)")))
                continue
            }
            let duplicate = qos == .atLeastOnce && queued.deliveryCount > 1
            if qos == .atLeastOnce {
                let packetID = session.nextPacketID()
                queued.state = .invisible(packetID: packetID)
                session.queue[index] = queued
                index += 1
                actions.append(
                    .send(.publish(PublishPacket(topic: topic, payload: queued.message.payload, qos: .atLeastOnce, packetID: packetID, dup: duplicate)), to: connection)
                )
                actions.append(.emit(.cloudToDeviceDelivered(deviceID, messageID: queued.messageID, qos: qos, duplicate: duplicate)))
            } else {
                session.queue.remove(at: index)
                actions.append(.send(.publish(PublishPacket(topic: topic, payload: queued.message.payload)), to: connection))
                actions.append(.emit(.cloudToDeviceDelivered(deviceID, messageID: queued.messageID, qos: qos, duplicate: false)))
                actions.append(.emit(.cloudToDeviceCompleted(deviceID, messageID: queued.messageID)))
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
