import IoTHubCore
import IoTHubSimulationCore

extension CloudEvent {
    /// The simulated hub's event in the runner's words.
    init(_ event: HubEvent) {
        switch event {
        case .connected(let id, let connection, let clean, let present, let keepAlive):
            self = .connected(id, connection: connection, cleanSession: clean, sessionPresent: present, keepAlive: keepAlive)
        case .connectionRefused(let clientID, let connection, let code, let reason):
            self = .refused(clientID: clientID, connection: connection, code: code, reason: reason)
        case .disconnected(let id, let connection, let reason):
            self = .disconnected(id, connection: connection, kind: reason == .hubStopped ? nil : DisconnectKind(reason), detail: reason.description)
        case .subscribed(let id, let filter, let qos):
            self = .subscribed(id, filter: filter, grantedQoS: qos)
        case .unsubscribed(let id, let filter):
            self = .unsubscribed(id, filter: filter)
        case .cloudToDeviceEnqueued(let id, let messageID, let depth):
            self = .messageQueued(id, messageID: messageID, queueDepth: depth)
        case .cloudToDeviceDelivered(let id, let messageID, let qos, let duplicate):
            self = .messageDelivered(id, messageID: messageID, qos: qos, duplicate: duplicate)
        case .cloudToDeviceCompleted(let id, let messageID):
            self = .messageCompleted(id, messageID: messageID)
        case .cloudToDeviceDeadLettered(let id, let messageID, let reason):
            self = .messageDeadLettered(id, messageID: messageID, reason: reason)
        case .cloudToDeviceRejected(let id, let reason):
            self = .messageRefused(id, reason: reason)
        case .telemetry(let id, let properties, let payload):
            self = .telemetry(id, properties: properties, payload: payload)
        case .clockAdvanced(let duration):
            self = .clockAdvanced(by: duration)
        case .twin(let twin):
            self = .activity(twin.deviceID, name: "twin", text: "twin: \(twin)")
        case .directMethod(let method):
            self = .activity(method.deviceID, name: "direct_method", text: "\(method)")
        case .fault(let fault):
            self = .activity(fault.deviceID, name: "fault", text: "\(fault)")
        case .provisioning(let provisioning):
            self = .provisioning(ProvisioningActivity(provisioning))
        }
    }
}

extension RunEvent {
    /// The simulated hub's event on the run's record: a cloud event, or a fault's life. A
    /// fault a `fault` step started is recorded by the runner, so the hub's own start and end
    /// of it are left out; one a device's fault-injection message started is the hub's alone.
    init?(_ event: HubEvent) {
        guard case .fault(let fault) = event else {
            self = .cloud(CloudEvent(event))
            return
        }
        let phase: FaultEvent.Phase
        let activation: HubFaultActivation?
        switch fault {
        case .started(let started, _):
            guard started.injection != nil else { return nil }
            phase = .started
            activation = started
        case .ended(let ended):
            guard ended.injection != nil else { return nil }
            phase = .healed
            activation = ended
        case .serviceRequestThrottled(let throttling, _, _):
            phase = .effect
            activation = throttling
        case .requested, .requestRefused, .requestRepeated:
            phase = .effect
            activation = nil
        }
        let kind = activation?.injection.map { "injection \($0.type)" } ?? activation?.fault.rawValue ?? "injection"
        let target = fault.deviceID?.string ?? "hub"
        self = .fault(FaultEvent(phase: phase, kind: kind, device: fault.deviceID, target: target, detail: fault.description))
    }
}

extension DisconnectKind {
    /// The kind of a hub disconnect reason.
    init(_ reason: DisconnectReason) {
        switch reason {
        case .clientDisconnected: self = .clientDisconnect
        case .connectionLost, .hubStopped: self = .connectionLost
        case .tokenExpired: self = .tokenExpired
        case .keepAliveTimeout: self = .keepAlive
        case .replacedByNewConnection: self = .replaced
        case .protocolViolation: self = .protocolViolation
        case .refused, .tooManyPendingConnections, .evictedWhilePending, .tlsRefused, .webSocketRefused: self = .refused
        case .credentialsRevoked: self = .revoked
        case .deviceDisabled: self = .disabled
        case .deviceDeleted: self = .deleted
        case .fault(_, .connectRefused), .fault(_, .closedWhileDown): self = .refused
        case .fault(_, .dropped), .fault(_, .telemetryCut): self = .connectionLost
        }
    }
}

extension ProvisioningActivity {
    /// The simulated hub's provisioning event in the runner's words.
    init(_ event: ProvisioningEvent) {
        let outcome: Outcome
        switch event {
        case .connected: outcome = .connected
        case .registrationAccepted: outcome = .accepted
        case .assigned(_, let deviceID, let hub, _): outcome = .assigned(deviceID: deviceID.string, hub: hub)
        case .failed: outcome = .failed
        case .disabled: outcome = .disabled
        case .refused(_, let status, _): outcome = .refused(status: status)
        }
        self.init(registrationID: event.registrationID?.string, outcome: outcome, text: event.description)
    }
}
