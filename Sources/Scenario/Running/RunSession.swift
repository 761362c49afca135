import Devices
import IoTHubCore
import IoTHubSimulation
import MQTTCore
import NIOCore

/// The live parts of one scenario run (hub and devices) and the actions on them.
struct RunSession: Sendable {
    /// A device of the run and what the harness needs to drive it.
    struct Participant: Sendable {
        var spec: DeviceSpec
        var device: any Device
        var key: DeviceKey
        /// Whether the device has its own codec, so its packets and CONNACKs are observed at
        /// the device (otherwise at the hub).
        var observesOwnPackets: Bool
    }

    let target: ScenarioTarget
    let environment: RunEnvironment
    let hub: SimulatedHub
    let participants: [DeviceID: Participant]
    let hubPort: Int
    let hostName: String

    /// Secrets the reports must mask.
    var secrets: [String] {
        participants.values.flatMap { [$0.key.base64] + ($0.spec.token.map { [$0] } ?? []) + ($0.spec.tokenService.map { [$0.key] } ?? []) }
    }

    /// Devices observed at their own codec.
    var selfObservingDevices: Set<DeviceID> {
        Set(participants.values.filter(\.observesOwnPackets).map(\.spec.id))
    }

    /// Starts the simulated hub with the target's devices registered, and creates the devices.
    static func start(target: ScenarioTarget, environment: RunEnvironment, timeline: Timeline) async throws -> RunSession {
        let hostName: String
        switch target.hub {
        case .simulated(let name): hostName = name
        }
        var keys: [DeviceID: DeviceKey] = [:]
        for spec in target.devices { keys[spec.id] = spec.key ?? DeviceKey.random() }
        let registry = DeviceRegistry(devices: target.devices.map { DeviceRecord(id: $0.id, primaryKey: keys[$0.id] ?? DeviceKey.random()) })
        let hub = SimulatedHub(
            configuration: HubConfiguration(hostName: hostName),
            registry: registry,
            group: environment.group,
            clock: HubClock(monotonic: environment.clock),
            monotonic: environment.clock,
            observer: { record in timeline.append(.hub(record.event), at: record.timestamp) },
            tap: TimelineTap(timeline: timeline, vantage: .hub, device: nil)
        )
        let port = try await hub.start()
        var participants: [DeviceID: Participant] = [:]
        for spec in target.devices {
            let key = keys[spec.id] ?? DeviceKey.random()
            let made = DeviceFactory.make(spec, key: key, hub: hub, hostName: hostName, environment: environment, timeline: timeline)
            participants[spec.id] = Participant(spec: spec, device: made.device, key: key, observesOwnPackets: made.observesOwnPackets)
        }
        return RunSession(target: target, environment: environment, hub: hub, participants: participants, hubPort: port, hostName: hostName)
    }

    func stop() async {
        for participant in participants.values { await participant.device.shutdown() }
        await hub.stop()
    }

    /// Carries out an action step.
    func perform(_ step: Step) async -> StepStatus {
        do {
            switch step.kind {
            case .advanceClock(let duration):
                try await hub.advanceClock(by: duration)
                return .passed
            case .wait(let duration):
                try await Task.sleep(for: duration)
                return .passed
            case .send(let message):
                return try await send(message, to: step)
            case .expect, .repeatBlock:
                return .errored(message: "internal: step \(step.number) is not an action")
            default:
                guard let id = step.device, let participant = participants[id] else {
                    return .errored(message: "internal: step \(step.number) names no device")
                }
                return try await perform(step.kind, on: participant)
            }
        } catch {
            return .errored(message: "\(error)")
        }
    }

    private func perform(_ kind: Step.Kind, on participant: Participant) async throws -> StepStatus {
        let device = participant.device
        switch kind {
        case .connect(let cleanSession, let keepAlive):
            let request = try await connectRequest(for: participant, cleanSession: cleanSession, keepAlive: keepAlive)
            return await outcomeStatus(expected: "CONNACK") { try await device.connect(request) }
        case .subscribe(let filter, let qos):
            return await outcomeStatus(expected: "SUBACK") { try await device.subscribe(to: filter, qos: qos) }
        case .unsubscribe(let filter):
            return await outcomeStatus(expected: "UNSUBACK") { try await device.unsubscribe(from: filter) }
        case .publish(let message):
            let topic = try message.topic ?? TopicName(IoTHubTopics.telemetryPrefix(participant.spec.id) + message.properties.encoded)
            return await outcomeStatus(expected: message.qos == .atMostOnce ? "the publish to complete" : "PUBACK") {
                try await device.publish(topic, payload: message.payload, qos: message.qos, retain: message.retain)
            }
        case .disconnect:
            try await device.disconnect()
            return .passed
        case .restart:
            try await device.restart()
            return .passed
        case .sendBytes(let hex):
            guard let raw = device as? any RawByteSending else {
                return .errored(message: "device '\(participant.spec.id)' of kind '\(participant.spec.kind.rawValue)' cannot send raw bytes")
            }
            let request = try await connectRequest(for: participant, cleanSession: true, keepAlive: 0)
            return await outcomeStatus(expected: "the bytes to be written") { try await raw.sendBytes(ByteBuffer(bytes: hex.bytes), opening: request) }
        case .expireToken:
            guard try await hub.expireToken(of: participant.spec.id) != nil else {
                return .failed(Failure(expected: "device '\(participant.spec.id)' connected with a token", observed: "it has no live connection"))
            }
            return .passed
        case .revoke:
            try await hub.regenerateKeys(of: participant.spec.id)
            return .passed
        case .send, .advanceClock, .wait, .expect, .repeatBlock:
            return .errored(message: "internal: not a device action")
        }
    }

    private func send(_ message: CloudToDeviceSpec, to step: Step) async throws -> StepStatus {
        guard let id = step.device else { return .errored(message: "internal: send names no device") }
        let request = CloudToDeviceRequest(
            payload: ByteBuffer(string: message.payload),
            properties: message.properties,
            messageID: message.messageID,
            correlationID: message.correlationID,
            timeToLive: message.timeToLive,
            acknowledgement: message.acknowledgement
        )
        do {
            try await hub.sendCloudToDevice(request, to: id)
            return .passed
        } catch let error as CloudToDeviceError {
            return .failed(Failure(expected: "the hub to accept the message", observed: "it refused: \(error)"))
        }
    }

    /// The credentials the device presents: its fixed token, or one minted now on the hub's clock.
    private func connectRequest(for participant: Participant, cleanSession: Bool, keepAlive: UInt16) async throws -> ConnectRequest {
        let spec = participant.spec
        let expiry = hub.clock.now().unixSeconds + spec.tokenTTL.nanoseconds / 1_000_000_000
        let credentials = IoTHubCredentials.device(spec.id, hostName: hostName, key: participant.key, expiry: expiry, apiVersion: spec.apiVersion)
        return ConnectRequest(
            host: "127.0.0.1",
            port: hubPort,
            clientID: credentials.clientID,
            username: credentials.username,
            password: spec.token ?? credentials.password,
            cleanSession: cleanSession,
            keepAlive: keepAlive
        )
    }

    private func outcomeStatus(expected: String, _ operation: @escaping @Sendable () async throws -> OperationOutcome) async -> StepStatus {
        do {
            let timeout = environment.scaled(environment.actionTimeout)
            guard let outcome = try await withTimeout(timeout, operation) else {
                return .failed(Failure(expected: "\(expected) within \(ScenarioDuration.format(timeout))", observed: "nothing arrived"))
            }
            switch outcome {
            case .answered:
                return .passed
            case .connectionEnded(let reason):
                return .failed(Failure(expected: expected, observed: "no \(expected): \(reason)"))
            case .unsupported(let reason):
                return .errored(message: reason)
            }
        } catch {
            return .errored(message: "\(error)")
        }
    }
}
