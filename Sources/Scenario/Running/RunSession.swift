import Devices
import IoTHubCore
import MQTTCore
import NIOCore
import NetworkTap

/// The live parts of one scenario run (hub and devices) and the actions on them.
struct RunSession: Sendable {
    /// A device of the run and what the harness needs to drive it.
    struct Participant: Sendable {
        var spec: DeviceSpec
        var device: any Device
        var key: DeviceKey
    }

    let target: ScenarioTarget
    let environment: RunEnvironment
    let backend: any HubBackend
    let participants: [DeviceID: Participant]
    /// Tap proxies in front of the broker, by the device that connects through them.
    let taps: [DeviceID: (proxy: TapProxy, host: String, port: Int)]

    /// Secrets the reports must mask.
    var secrets: [String] {
        backend.secrets
            + participants.values.flatMap { participant in
                let spec = participant.spec
                return [participant.key.base64] + [spec.token, spec.password, spec.tokenService?.key].compactMap { $0 }
            }
    }

    /// Starts the target's hub or connects to its broker, and creates the devices.
    /// - Parameter needsCloud: whether the steps send C2D or expect telemetry (a broker
    ///   target then opens the harness's own cloud connection).
    static func start(target: ScenarioTarget, needsCloud: Bool = true, environment: RunEnvironment, record: RunRecord) async throws -> RunSession {
        var keys: [DeviceID: DeviceKey] = [:]
        for spec in target.devices { keys[spec.id] = spec.key ?? DeviceKey.random() }
        var devices = target.devices
        let backend: any HubBackend
        switch target.hub {
        case .simulated(let settings):
            let servesTokens = target.devices.contains(where: \.tokenServiceFromHub)
            let simulated = try await SimulatedBackend.start(settings, keys: keys, servesTokens: servesTokens, environment: environment, record: record)
            backend = simulated
            if let service = simulated.tokenService {
                for index in devices.indices where devices[index].tokenServiceFromHub { devices[index].tokenService = service }
            }
        case .broker(let broker):
            backend = try await BrokerBackend.start(broker, needsCloud: needsCloud, environment: environment, record: record)
        case .azure(let azure):
            backend = try AzureBackend(azure, needsCloud: needsCloud)
        }
        var taps: [DeviceID: (proxy: TapProxy, host: String, port: Int)] = [:]
        var participants: [DeviceID: Participant] = [:]
        do {
            for spec in devices {
                // Firmware processes on a plain broker always go through a tap on loopback;
                // a board only when the scenario gives an address it can reach.
                let wantsTap = spec.kind == .process || (spec.kind == .serial && spec.firmware?.tapAddress != nil)
                if backend.simulation == nil, backend.endpoint.tls == nil, wantsTap {
                    let listen = spec.firmware?.tapAddress ?? DeviceSpec.TapAddress(host: "127.0.0.1", port: 0)
                    taps[spec.id] = try await startTap(for: spec.id, listen: listen, upstream: backend.endpoint, environment: environment, record: record)
                }
                let key = keys[spec.id] ?? DeviceKey.random()
                let device = DeviceFactory.make(spec, key: key, backend: backend, tapped: taps[spec.id] != nil, environment: environment, record: record)
                participants[spec.id] = Participant(spec: spec, device: device, key: key)
            }
        } catch {
            for tap in taps.values { await tap.proxy.stop() }
            await backend.stop()
            throw error
        }
        return RunSession(target: target, environment: environment, backend: backend, participants: participants, taps: taps)
    }

    /// A tap proxy between a firmware process and the broker: its packets, and the CONNACKs
    /// and closes derived from them, go to the record as the device's own.
    private static func startTap(
        for id: DeviceID,
        listen: DeviceSpec.TapAddress,
        upstream: DeviceEndpoint,
        environment: RunEnvironment,
        record: RunRecord
    ) async throws -> (proxy: TapProxy, host: String, port: Int) {
        let clock = environment.clock
        let proxy = TapProxy(
            upstreamHost: upstream.host,
            upstreamPort: upstream.port,
            group: environment.group,
            tap: TapProxyRecordTap(runRecord: record, device: id),
            clock: clock,
            observer: { event in
                switch event {
                case .closed:
                    record.append(.device(id, .disconnected(reason: "connection closed (seen at the tap proxy)")), at: clock.nanoseconds())
                case .upstreamFailed(_, let reason):
                    record.append(.device(id, .transportFailed(reason: "the tap proxy could not reach the broker: \(reason)")), at: clock.nanoseconds())
                case .opened, .malformed:
                    break
                }
            }
        )
        let port = try await proxy.start(host: listen.host, port: listen.port)
        return (proxy, listen.host, port)
    }

    func stop() async {
        for participant in participants.values { await participant.device.shutdown() }
        for tap in taps.values { await tap.proxy.stop() }
        await backend.stop()
    }

    /// Carries out an action step.
    func perform(_ step: Step) async -> StepStatus {
        do {
            switch step.kind {
            case .advanceClock(let duration):
                try await requireSimulation("advance_clock").advanceClock(by: duration)
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
            let topic = try message.topic ?? TopicName(IoTHubTopic.telemetry(participant.spec.id, properties: message.properties).name)
            return await outcomeStatus(expected: Self.acknowledgement(of: message.qos)) {
                try await device.publish(topic, payload: message.payload, qos: message.qos, retain: message.retain)
            }
        case .disconnect:
            let timeout = environment.scaled(environment.actionTimeout)
            guard try await withTimeout(timeout, { try await device.disconnect() }) != nil else {
                return .failed(Failure(expected: "the connection closed within \(ScenarioDuration.format(timeout))", observed: "it was still open"))
            }
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
            guard try await requireSimulation("expire_token").expireToken(of: participant.spec.id) else {
                return .failed(Failure(expected: "device '\(participant.spec.id)' connected with a token", observed: "it never connected to the hub"))
            }
            return .passed
        case .revoke:
            try await requireSimulation("revoke").regenerateKeys(of: participant.spec.id)
            return .passed
        case .send, .advanceClock, .wait, .expect, .repeatBlock:
            return .errored(message: "internal: not a device action")
        }
    }

    /// What answers a PUBLISH of this QoS (Table 3.4), as a failure's "expected" part.
    static func acknowledgement(of qos: MQTTQoS) -> String {
        switch qos {
        case .atMostOnce: "the publish to complete"
        case .atLeastOnce: "PUBACK"
        case .exactlyOnce: "PUBREC, then PUBCOMP for the PUBREL"
        }
    }

    private func send(_ spec: SendSpec, to step: Step) async throws -> StepStatus {
        guard let id = step.device else { return .errored(message: "internal: send names no device") }
        let outcome = try await backend.sendCloudToDevice(spec.message, to: id, timeout: environment.scaled(environment.actionTimeout))
        return outcome.status(expecting: spec.refusal)
    }

    /// The simulated hub's controls, or an error naming the action that needs them (the
    /// loader refuses such steps on other targets, so this is a safety net).
    private func requireSimulation(_ action: String) throws -> any HubSimulationControls {
        guard let simulation = backend.simulation else { throw SessionError(description: "'\(action)' needs the simulated hub; the target is \(target.hub)") }
        return simulation
    }

    /// What the device presents: its spec's client id, user name and password where given;
    /// otherwise, on an IoT Hub, its IoT Hub identity and a token minted now on the hub's
    /// clock; on a generic broker, its device id as client id and no credentials.
    func connectRequest(for participant: Participant, cleanSession: Bool, keepAlive: UInt16) async throws -> ConnectRequest {
        let spec = participant.spec
        var endpoint = backend.endpoint
        if let tap = taps[spec.id] {
            endpoint.host = tap.host
            endpoint.port = tap.port
        }
        var request = ConnectRequest(
            host: endpoint.host,
            port: endpoint.port,
            clientID: spec.clientID ?? spec.id.string,
            username: spec.username,
            password: spec.password,
            cleanSession: cleanSession,
            keepAlive: keepAlive,
            tls: endpoint.tls
        )
        if let hostName = backend.iotHubHostName {
            let expiry = backend.wallClock.unixSeconds() + spec.tokenTTL.nanoseconds / 1_000_000_000
            let credentials = IoTHubCredentials.device(spec.id, hostName: hostName, key: participant.key, expiry: expiry, apiVersion: spec.apiVersion)
            request.clientID = spec.clientID ?? credentials.clientID
            request.username = spec.username ?? credentials.username
            request.password = spec.password ?? spec.token ?? credentials.password
        }
        return request
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
            case .protocolViolation(let reason):
                return .failed(Failure(expected: expected, observed: reason))
            }
        } catch {
            return .errored(message: "\(error)")
        }
    }
}

/// A session operation that cannot be carried out on this target.
struct SessionError: Error, CustomStringConvertible {
    var description: String
}
