import IoTHubCore
import MQTTCore

/// A fault the machine holds: in force from `startsAt` until `endsAt` (`nil`: until ended).
struct ScheduledFault: Sendable {
    var activation: HubFaultActivation
    var startsAt: HubTime
    var endsAt: HubTime?
    /// Its start was reported and its start effect (a restart's drop) carried out.
    var isStarted = false
}

extension HubStateMachine {
    // MARK: Starting and ending

    /// Starts a hub fault now, for one device or (`device` nil) the whole hub. A fault of the
    /// same kind and scope started earlier through this method is replaced (and reported
    /// ended). A restart drops the connections in scope at once.
    /// - Parameter duration: how long the fault lasts on the hub's clock; `nil` until
    ///   ``endFault(_:device:at:)``. Zero or less: it starts and ends at once (a restart then
    ///   only drops the connections).
    public mutating func startFault(_ fault: HubFault, device: DeviceID?, duration: Duration? = nil, at now: HubTime) -> [Action] {
        var actions: [Action] = []
        advanceFaults(at: now, actions: &actions)
        let activation = HubFaultActivation(fault: fault, device: device)
        removeFaults(at: now, actions: &actions) { $0.activation == activation }
        let end = duration.map { now + max(.zero, $0) }
        faults.append(ScheduledFault(activation: activation, startsAt: now, endsAt: end))
        advanceFaults(at: now, actions: &actions)
        if let end, end > now { actions.append(.wakeUp(at: end)) }
        return actions
    }

    /// Ends every fault of this kind with exactly this scope (`device` nil: the hub-wide one),
    /// whether started through ``startFault(_:device:duration:at:)`` or by a device's
    /// fault-injection message, including ones still waiting for their delay.
    /// - Returns: whether any fault ended, and the actions.
    public mutating func endFault(_ fault: HubFault, device: DeviceID?, at now: HubTime) -> (ended: Bool, actions: [Action]) {
        var actions: [Action] = []
        advanceFaults(at: now, actions: &actions)
        let before = faults.count
        removeFaults(at: now, actions: &actions) { $0.activation.fault == fault && $0.activation.device == device }
        return (faults.count != before, actions)
    }

    /// The faults in force at `now` (after ``tick(at:)`` or any other event at `now`), in the
    /// order they started.
    public func activeFaults(at now: HubTime) -> [HubFaultActivation] {
        faults.filter { isInForce($0, at: now) }.map(\.activation)
    }

    /// Decides whether a service REST request is throttled: when a ``HubFault/throttle``
    /// applies to the device the request names (or a hub-wide one, to any request), the
    /// request is answered 429 (``ServiceResponse/throttled(by:)``) and the effect reported.
    /// - Returns: the throttling fault (`nil` when the request may go ahead), and the actions.
    public mutating func throttleServiceRequest(
        for device: DeviceID?,
        operation: String,
        at now: HubTime
    ) -> (throttledBy: HubFaultActivation?, actions: [Action]) {
        var actions: [Action] = []
        advanceFaults(at: now, actions: &actions)
        guard let activation = activeFault(.throttle, for: device, at: now) else { return (nil, actions) }
        actions.append(.emit(.fault(.serviceRequestThrottled(activation, device: device, operation: operation))))
        return (activation, actions)
    }

    // MARK: Rules applied by the other handlers

    /// The fault of `kind` in force for `device` at `now`, if any (device-scoped ones first).
    /// `device` nil: only hub-wide faults apply.
    func activeFault(_ kind: HubFault, for device: DeviceID?, at now: HubTime) -> HubFaultActivation? {
        let matching = faults.filter { $0.activation.fault == kind && $0.activation.applies(to: device) && isInForce($0, at: now) }
        return (matching.first { $0.activation.device != nil } ?? matching.first)?.activation
    }

    private func isInForce(_ fault: ScheduledFault, at now: HubTime) -> Bool {
        fault.isStarted && fault.startsAt <= now && fault.endsAt.map { now < $0 } ?? true
    }

    /// A device's telemetry carried the fault-injection properties: the message is taken by
    /// the hub's test feature (it is not forwarded as telemetry). A valid request schedules its
    /// fault for the device; a disconnecting one gets no PUBACK (the real hub drops the
    /// connection first). A retransmission (DUP) is acknowledged and not acted on again.
    /// - Returns: `false` when the message is no fault request.
    mutating func handleFaultRequest(
        _ publish: PublishPacket,
        properties: PropertyBag,
        from deviceID: DeviceID,
        on connection: ConnectionID,
        at now: HubTime,
        actions: inout [Action]
    ) -> Bool {
        func acknowledge() {
            if let packetID = publish.packetID, publish.qos == .atLeastOnce {
                actions.append(.send(.puback(packetID: packetID), to: connection))
            }
        }
        switch FaultInjectionRequest.parse(properties) {
        case .notARequest:
            return false
        case .refused(let type, let reason):
            acknowledge()
            actions.append(.emit(.fault(.requestRefused(deviceID, type: type, reason: reason))))
        case .request(let request) where publish.dup:
            acknowledge()
            actions.append(.emit(.fault(.requestRepeated(deviceID, type: request.type.rawValue))))
        case .request(let request):
            if !request.type.disconnects { acknowledge() }
            let startsAt = now + request.delay
            actions.append(.emit(.fault(.requested(deviceID, request, startsAt: startsAt))))
            faults.append(
                ScheduledFault(
                    activation: HubFaultActivation(fault: request.type.fault, device: deviceID, injection: request),
                    startsAt: startsAt,
                    endsAt: startsAt + request.duration
                )
            )
            advanceFaults(at: now, actions: &actions)
            if let next = nextDeadline() { actions.append(.wakeUp(at: next)) }
        }
        return true
    }

    /// Whether CONNECT may go on: a restart in force for the claimed device closes the
    /// connection without an answer; an auth error refuses it with CONNACK 5; throttling
    /// refuses it with ``HubConfiguration/throttledConnectRefusal``.
    /// - Returns: `false` when a fault ended the connection.
    mutating func admitConnect(_ connect: ConnectPacket, on connection: ConnectionID, at now: HubTime, actions: inout [Action]) -> Bool {
        guard !faults.isEmpty else { return true }
        let claimed = try? DeviceID(connect.clientID)
        if let down = activeFault(.restart, for: claimed, at: now) {
            end(connection, reason: .fault(down, .closedWhileDown), at: now, actions: &actions, resetSocket: down.injection?.type == .killTcp)
            return false
        }
        let refusal: (HubFaultActivation, ConnectReturnCode, String)?
        if let authError = activeFault(.authError, for: claimed, at: now) {
            refusal = (authError, .notAuthorized, "authentication is failing")
        } else if let throttle = activeFault(.throttle, for: claimed, at: now) {
            refusal = (throttle, configuration.throttledConnectRefusal.returnCode, "the hub is throttling connections (ThrottlingException)")
        } else {
            refusal = nil
        }
        guard let (activation, code, why) = refusal else { return true }
        actions.append(.send(.connack(ConnAckPacket(sessionPresent: false, returnCode: code)), to: connection))
        actions.append(.emit(.connectionRefused(clientID: connect.clientID, connection: connection, code: code, reason: "\(activation): \(why)")))
        end(connection, reason: .fault(activation, .connectRefused(code)), at: now, actions: &actions)
        return false
    }

    /// Telemetry from a device under quota or throttling cuts its connection without PUBACK.
    /// - Returns: `false` when the connection was cut.
    mutating func admitTelemetry(from deviceID: DeviceID, on connection: ConnectionID, at now: HubTime, actions: inout [Action]) -> Bool {
        guard !faults.isEmpty else { return true }
        guard let activation = activeFault(.quotaExceeded, for: deviceID, at: now) ?? activeFault(.throttle, for: deviceID, at: now) else {
            return true
        }
        end(connection, reason: .fault(activation, .telemetryCut), at: now, actions: &actions)
        return false
    }

    /// A new network connection while the whole hub is down (a hub-wide restart in force) is
    /// closed at once.
    /// - Returns: `false` when it was closed.
    mutating func admitConnection(_ connection: ConnectionID, at now: HubTime, actions: inout [Action]) -> Bool {
        guard !faults.isEmpty, let down = activeFault(.restart, for: nil, at: now) else { return true }
        actions.append(down.injection?.type == .killTcp ? .reset(connection) : .close(connection))
        actions.append(.emit(.disconnected(nil, connection: connection, reason: .fault(down, .closedWhileDown))))
        return false
    }

    // MARK: Time

    /// Reports the faults whose start or end time has come, in time order, and carries out a
    /// restart's drop when it starts (even when the clock jumped past its whole window: the
    /// connections were there when it started).
    mutating func advanceFaults(at now: HubTime, actions: inout [Action]) {
        guard !faults.isEmpty else { return }
        var index = 0
        while index < faults.count {
            let fault = faults[index]
            if !fault.isStarted, fault.startsAt <= now {
                faults[index].isStarted = true
                actions.append(.emit(.fault(.started(fault.activation, until: fault.endsAt))))
                applyStart(of: fault.activation, at: now, actions: &actions)
            }
            if let end = fault.endsAt, end <= now {
                faults.remove(at: index)
                actions.append(.emit(.fault(.ended(fault.activation))))
                continue
            }
            index += 1
        }
    }

    /// The earliest start or end of a fault still to come.
    func nextFaultDeadline() -> HubTime? {
        faults.compactMap { $0.isStarted ? $0.endsAt : $0.startsAt }.min()
    }

    private mutating func applyStart(of activation: HubFaultActivation, at now: HubTime, actions: inout [Action]) {
        guard activation.fault == .restart else { return }
        let reset = activation.injection?.type == .killTcp
        if let device = activation.device {
            guard let connection = sessions[device]?.connection else { return }
            end(connection, reason: .fault(activation, .dropped), at: now, actions: &actions, resetSocket: reset)
        } else {
            for connection in connections.keys.sorted() {
                end(connection, reason: .fault(activation, .dropped), at: now, actions: &actions, resetSocket: reset)
            }
        }
    }

    private mutating func removeFaults(at now: HubTime, actions: inout [Action], where matches: (ScheduledFault) -> Bool) {
        for fault in faults where matches(fault) && fault.isStarted {
            actions.append(.emit(.fault(.ended(fault.activation))))
        }
        faults.removeAll(where: matches)
    }
}
