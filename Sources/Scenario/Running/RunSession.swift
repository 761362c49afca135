import Foundation
import Devices
import IoTHubCore
import MQTTClient
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
        /// The device's own clock, which a `clock_skew` fault sets off.
        var clock: DeviceWallClock
    }

    let target: ScenarioTarget
    let environment: RunEnvironment
    let backend: any HubBackend
    let participants: [DeviceID: Participant]
    /// Proxies in front of the hub or broker, by the device that connects through them: they
    /// record the packets of firmware on a plain broker, and carry out network faults.
    let proxies: [DeviceID: DeviceProxy]
    /// The run's faults.
    let faults: FaultController
    /// What the run observed.
    let record: RunRecord
    /// What the Device Provisioning Service assigned to devices that provisioned.
    let provisionedDevices: ProvisionedDevices

    /// Secrets the reports must mask. A fleet member's key and token never reach the record
    /// (its packets are not recorded), so its fleet's group key stands for them all.
    var secrets: [String] {
        backend.secrets
            + target.fleets.flatMap(\.secretValues)
            + target.fleets.map(\.template).flatMap { spec in [spec.password, spec.tokenService?.key].compactMap { $0 } }
            + participants.values.filter { $0.spec.fleet == nil }.flatMap { participant in
                let spec = participant.spec
                return [participant.key.base64] + [spec.token, spec.password, spec.tokenService?.key].compactMap { $0 }
            }
            + provisionedDevices.keys.map(\.base64)
    }

    /// Starts the target's hub or connects to its broker, and creates the devices.
    /// - Parameters:
    ///   - needsCloud: whether the steps send C2D or expect telemetry (a broker target then
    ///     opens the harness's own cloud connection).
    ///   - faultedDevices: the devices network faults strike: each connects through a proxy.
    static func start(
        target: ScenarioTarget,
        needsCloud: Bool = true,
        faultedDevices: Set<DeviceID> = [],
        provisioningDevices: Set<DeviceID> = [],
        environment: RunEnvironment,
        record: RunRecord
    ) async throws -> RunSession {
        var devices = target.allDevices()
        // A fleet without a group key gets a random one per run, so its members' keys still
        // follow from one key as a DPS group enrollment's do.
        let groupKeys = Dictionary(uniqueKeysWithValues: target.fleets.map { ($0.name, $0.groupKey ?? DeviceKey.random()) })
        var keys: [DeviceID: DeviceKey] = [:]
        for spec in devices {
            keys[spec.id] = spec.key ?? spec.fleet.flatMap { groupKeys[$0] }.map { DeviceKey.derived(fromGroupKey: $0, registrationID: spec.id.string) } ?? DeviceKey.random()
        }
        let backend: any HubBackend
        switch target.hub {
        case .simulated(let settings):
            let servesTokens = devices.contains(where: \.tokenServiceFromHub)
            var certificates: [DeviceID: String] = [:]
            for spec in devices where !provisioningDevices.contains(spec.id) { certificates[spec.id] = spec.certificateFile }
            // A device that provisions is not in the hub's registry until DPS assigns it.
            let simulated = try await SimulatedBackend.start(
                settings,
                keys: keys.filter { !provisioningDevices.contains($0.key) },
                certificates: certificates,
                servesTokens: servesTokens,
                ownLoop: !target.fleets.isEmpty,
                environment: environment,
                record: record
            )
            backend = simulated
            if let service = simulated.tokenService {
                for index in devices.indices where devices[index].tokenServiceFromHub { devices[index].tokenService = service }
            }
        case .broker(let broker):
            backend = try await BrokerBackend.start(broker, needsCloud: needsCloud, environment: environment, record: record)
        case .azure(let azure):
            backend = try AzureBackend(azure, needsCloud: needsCloud)
        }
        var proxies: [DeviceID: DeviceProxy] = [:]
        var participants: [DeviceID: Participant] = [:]
        let provisioned = ProvisionedDevices()
        // A fleet large enough to run out of descriptors or of one source address's ports is
        // told so before any device starts, and spread over loopback source addresses.
        var sources: SourceAddressPool?
        if !target.fleets.isEmpty {
            let budget = DescriptorBudget(devices: devices.count, perDevice: DescriptorBudget.perDevice(hubInProcess: backend.simulation != nil, proxied: !faultedDevices.isEmpty))
            do {
                try DescriptorLimit.ensure(budget)
                let members = devices.filter { $0.fleet != nil }.count
                if backend.endpoint.host.hasPrefix("127."), members > 0 {
                    sources = try SourceAddressPool(fleetSize: members, ephemeralPorts: SourceAddressPool.ephemeralPortRange())
                }
            } catch {
                await backend.stop()
                throw SessionError(description: "\(error)")
            }
        }
        var memberIndex = 0
        // Fleet members that trust the hub's current root and present no certificate share one
        // TLS context: ten thousand contexts would cost more memory than the devices.
        let sharedTLS = target.fleets.isEmpty ? nil : backend.endpoint.tls.flatMap { try? $0.makeContext() }
        do {
            for spec in devices {
                // Firmware processes on a plain broker always go through a tap on loopback;
                // a board only when the scenario gives an address it can reach. A device that
                // network faults strike goes through a proxy too, which relays TLS untouched.
                let wantsTap = spec.kind == .process || (spec.kind == .serial && spec.firmware?.tapAddress != nil)
                let taps = backend.simulation == nil && backend.endpoint.tls == nil && wantsTap
                if taps || faultedDevices.contains(spec.id) {
                    let listen = spec.firmware?.tapAddress ?? DeviceSpec.TapAddress(host: "127.0.0.1", port: 0)
                    proxies[spec.id] = try await DeviceProxy.start(
                        for: spec.id, listen: listen, upstream: try Self.endpoint(for: spec, on: backend, target: target), recordsPackets: taps, environment: environment, record: record
                    )
                }
                let key = keys[spec.id] ?? DeviceKey.random()
                // A fleet member is recorded by its events: at thousands of devices, every
                // packet twice (device and hub) would make the record the run's bottleneck.
                let tapped = proxies[spec.id]?.recordsPackets ?? false || spec.fleet != nil
                let clock = DeviceWallClock(base: backend.wallClock)
                var source: String?
                if spec.fleet != nil, let pool = sources, pool.spreads {
                    source = pool.address(forMember: memberIndex)
                    memberIndex += 1
                }
                let sharesTLS = spec.fleet != nil && spec.trustedRoots == .current && spec.certificateFile == nil
                let device = DeviceFactory.make(
                    spec, key: key, backend: backend, wallClock: clock, tapped: tapped, sourceAddress: source, tlsContext: sharesTLS ? sharedTLS : nil,
                    provisioned: provisioningDevices.contains(spec.id) ? provisioned : nil, environment: environment, record: record
                )
                participants[spec.id] = Participant(spec: spec, device: device, key: key, clock: clock)
            }
        } catch {
            for proxy in proxies.values { await proxy.proxy.stop() }
            await backend.stop()
            throw error
        }
        let faults = FaultController(
            record: record,
            paths: proxies.mapValues { $0 as any NetworkFaultPath },
            clocks: participants.mapValues(\.clock),
            simulation: backend.simulation,
            devices: target.devices.map(\.id)
        )
        return RunSession(
            target: target, environment: environment, backend: backend, participants: participants, proxies: proxies, faults: faults, record: record,
            provisionedDevices: provisioned
        )
    }

    func stop() async {
        await faults.healAll()
        for participant in participants.values { await participant.device.shutdown() }
        for proxy in proxies.values { await proxy.proxy.stop() }
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
            case .fault(let fault):
                return await faults.start(fault)
            case .heal(let heal):
                return await faults.heal(heal)
            case .expect, .repeatBlock, .chaos:
                return .errored(message: "internal: step \(step.number) is not an action")
            default:
                guard let id = step.device, let participant = participants[id] else {
                    return .errored(message: "internal: step \(step.number) names no device")
                }
                return try await perform(step.kind, on: participant, answerJudgedLater: step.answerJudgedLater)
            }
        } catch {
            return .errored(message: "\(error)")
        }
    }

    /// - Parameter answerJudgedLater: an expectation that follows judges the answer's reason
    ///   code, so an MQTT 5.0 refusal is left to it instead of failing this step.
    func perform(_ kind: Step.Kind, on participant: Participant, answerJudgedLater: Bool = false) async throws -> StepStatus {
        let device = participant.device
        let judged = answerJudgedLater
        switch try kind.filledIn(device: participant.spec.id) {
        case .connect(let cleanSession, let keepAlive, let properties):
            if let missing = Self.missingRuntime(of: participant.spec) {
                // A machine without the interpreter cannot run this scenario: not a failure of
                // the device (a new user's `harness run scenarios` stays green), and it says why.
                return .notApplicable(reason: missing)
            }
            var request = try await connectRequest(for: participant, cleanSession: cleanSession, keepAlive: keepAlive)
            request.properties = properties
            return await outcomeStatus(Awaited(expected: "CONNACK"), refusalJudgedLater: judged) { [request] in try await device.connect(request) }
        case .subscribe(let filter, let qos, _) where [.process, .serial].contains(participant.spec.kind):
            // Firmware subscribes by itself: its own report of the SUBACK (the line protocol),
            // or the hub's, whichever shows the subscription on its current connection first.
            let (record, id, deadline) = (record, participant.spec.id, record.clock.nanoseconds() + UInt64(clamping: environment.scaled(environment.actionTimeout).nanoseconds))
            return await outcomeStatus(Awaited(expected: "SUBACK")) {
                try await Self.first(
                    { try await device.subscribe(to: filter, qos: qos) },
                    { await SubscriptionEvidence.wait(for: filter, qos: qos, by: id, in: record, until: deadline) }
                )
            }
        case .subscribe(let filter, let qos, let options):
            let request = SubscribeRequest(
                subscriptions: [SubscribePacket.Subscription(filter: filter, qos: qos, noLocal: options.noLocal, retainAsPublished: options.retainAsPublished, retainHandling: options.retainHandling)],
                properties: options.properties
            )
            return await outcomeStatus(Awaited(expected: "SUBACK"), refusalJudgedLater: judged) { try await device.subscribe(request) }
        case .unsubscribe(let filter, let properties):
            let request = UnsubscribeRequest(filters: [filter], properties: properties)
            return await outcomeStatus(Awaited(expected: "UNSUBACK"), refusalJudgedLater: judged) { try await device.unsubscribe(request) }
        case .publish(let message):
            let topic = try message.topic ?? TopicName(IoTHubTopic.telemetry(participant.spec.id, properties: message.properties).name)
            let request = PublishRequest(topic: topic, payload: ByteBuffer(string: message.payload), qos: message.qos, retain: message.retain, properties: message.mqttProperties)
            return await outcomeStatus(Self.acknowledgement(of: message.qos), refusalJudgedLater: judged) { try await device.publish(request) }
        case .disconnect(let spec):
            let timeout = environment.scaled(environment.actionTimeout)
            let request = DisconnectRequest(reasonCode: spec.reason, properties: spec.properties)
            guard try await withTimeout(timeout, { try await device.disconnect(request) }) != nil else {
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
            let awaited = Awaited(expected: "the bytes written", missing: "none written", pending: "they were not written yet")
            return await outcomeStatus(awaited) { try await raw.sendBytes(ByteBuffer(bytes: hex.bytes), opening: request) }
        case .expireToken:
            guard try await requireSimulation("expire_token").expireToken(of: participant.spec.id) else {
                return .failed(Failure(expected: "device '\(participant.spec.id)' connected with a token", observed: "it never connected to the hub"))
            }
            return .passed
        case .revoke:
            try await requireSimulation("revoke").regenerateKeys(of: participant.spec.id)
            return .passed
        case .provision(let spec):
            return await provision(spec, participant: participant).status
        case .send, .advanceClock, .wait, .expect, .repeatBlock, .chaos, .fault, .heal:
            return .errored(message: "internal: not a device action")
        }
    }

    /// The outcome of whichever of `operation` and `evidence` has one first (`evidence`
    /// returning `nil` has none); the other is cancelled.
    static func first(
        _ operation: @escaping @Sendable () async throws -> OperationOutcome,
        _ evidence: @escaping @Sendable () async -> OperationOutcome?
    ) async throws -> OperationOutcome {
        try await withThrowingTaskGroup(of: OperationOutcome?.self) { group in
            group.addTask { try await operation() }
            group.addTask { await evidence() }
            while let outcome = try await group.next() {
                if let outcome {
                    group.cancelAll()
                    return outcome
                }
            }
            return .connectionEnded(reason: "internal: neither the device nor the record answered")
        }
    }

    /// Why a process device's `runtime` cannot run on this machine (no interpreter found), or
    /// `nil` when it can or names none.
    static func missingRuntime(of spec: DeviceSpec) -> String? {
        guard case .process(let settings, _) = spec.settings, let runtime = settings.runtime else { return nil }
        let environment = ProcessInfo.processInfo.environment.merging(settings.environment) { _, device in device }
        // An interpreter named explicitly but wrong is a mistake to report, not a machine
        // without one: the connect fails saying so.
        if let named = environment[FirmwareRuntime.microPythonVariable], !named.isEmpty { return nil }
        do {
            _ = try runtime.executable(environment: environment, workingDirectory: settings.workingDirectory)
            return nil
        } catch {
            return "this machine cannot run it: \(error)"
        }
    }

    /// What answers a PUBLISH of this QoS (Table 3.4), in a failure's words.
    static func acknowledgement(of qos: MQTTQoS) -> Awaited {
        switch qos {
        case .atMostOnce: Awaited(expected: "the publish to complete", missing: "it did not complete", pending: "it had not completed")
        case .atLeastOnce: Awaited(expected: "PUBACK")
        case .exactlyOnce: Awaited(expected: "PUBREC, then PUBCOMP for the PUBREL", missing: "the exchange did not complete", pending: "it had not completed")
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

    /// Where the device connects: the hub's MQTT port, or its WebSocket port for
    /// `transport: websockets`.
    /// - Throws: ``SessionError`` when the device wants WebSockets and the hub serves none.
    static func endpoint(for spec: DeviceSpec, on backend: any HubBackend, target: ScenarioTarget) throws -> DeviceEndpoint {
        var endpoint = backend.endpoint
        guard spec.transport == .websockets else { return endpoint }
        guard let port = endpoint.webSocketPort else {
            throw SessionError(description: "device '\(spec.id)' has transport: websockets, and \(target.hub) serves no MQTT over WebSockets: only the simulated hub does")
        }
        endpoint.port = port
        return endpoint
    }

    /// What the device presents: its spec's client id, user name and password where given;
    /// otherwise, on an IoT Hub, its IoT Hub identity and a token minted now on the hub's
    /// clock; on a generic broker, its device id as client id and no credentials.
    func connectRequest(for participant: Participant, cleanSession: Bool, keepAlive: UInt16) async throws -> ConnectRequest {
        let spec = participant.spec
        var endpoint = try Self.endpoint(for: spec, on: backend, target: target)
        if let proxy = proxies[spec.id] {
            // TLS through the proxy still checks the hub's own name, not the proxy's address.
            if var tls = endpoint.tls, tls.serverName == nil, !Self.isIPAddress(endpoint.host) {
                tls.serverName = endpoint.host
                endpoint.tls = tls
            }
            endpoint.host = proxy.host
            endpoint.port = proxy.port
        }
        if var tls = endpoint.tls, spec.trustedRoots != .current, let simulation = backend.simulation {
            tls.caFile = try simulation.rootCertificateFile(spec.trustedRoots)
            endpoint.tls = tls
        }
        if var tls = endpoint.tls, let certificate = spec.certificateFile, let key = spec.keyFile {
            tls.certificateFile = certificate
            tls.keyFile = key
            endpoint.tls = tls
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
        if spec.transport == .websockets { request.transport = .iotHubWebSockets }
        // After a `provision` step: the hub and device id DPS assigned, the key it attested with.
        let assigned = provisionedDevices.assignment(of: spec.id)
        if let hostName = assigned?.hostName ?? backend.iotHubHostName {
            let expiry = participant.clock.unixSeconds() + spec.tokenTTL.nanoseconds / 1_000_000_000
            let credentials = IoTHubCredentials.device(
                assigned?.deviceID ?? spec.id, hostName: hostName, key: assigned?.key ?? participant.key, expiry: expiry, apiVersion: spec.apiVersion
            )
            request.clientID = spec.clientID ?? credentials.clientID
            request.username = spec.username ?? credentials.username
            // An X.509 device authenticates with its certificate and sends no token.
            request.password = spec.password ?? spec.token ?? (spec.certificateFile == nil ? credentials.password : nil)
        }
        return request
    }

    private static func isIPAddress(_ host: String) -> Bool {
        host.contains(":") || host.split(separator: ".").allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
    }
}

/// A session operation that cannot be carried out on this target.
struct SessionError: Error, CustomStringConvertible {
    var description: String
}
