import Devices
import IoTHubCore
import IoTHubSimulation
import MQTTCore
import NIOCore

/// The live parts of one scenario run (hub and device) and the actions on them.
struct RunSession: Sendable {
    let scenario: Scenario
    let environment: RunEnvironment
    let hub: SimulatedHub
    let device: SimulatedDevice
    let deviceKey: DeviceKey
    let hubPort: Int
    let hostName: String

    /// Secrets the reports must mask.
    var secrets: [String] { [deviceKey.base64] + (scenario.device.token.map { [$0] } ?? []) }

    /// Starts the simulated hub with the scenario's device registered, and creates the device.
    static func start(scenario: Scenario, environment: RunEnvironment, timeline: Timeline) async throws -> RunSession {
        let hostName: String
        switch scenario.hub {
        case .simulated(let name): hostName = name
        }
        let key = scenario.device.key ?? DeviceKey.random()
        let registry = DeviceRegistry(devices: [DeviceRecord(id: scenario.device.id, primaryKey: key)])
        let hub = SimulatedHub(
            configuration: HubConfiguration(hostName: hostName),
            registry: registry,
            group: environment.group,
            clock: HubClock(monotonic: environment.clock),
            monotonic: environment.clock,
            observer: { record in timeline.append(.hub(record.event), at: record.timestamp) },
            tap: TimelineTap(timeline: timeline, vantage: .hub)
        )
        let port = try await hub.start()
        let device = SimulatedDevice(
            id: scenario.device.id,
            profile: scenario.device.profile,
            group: environment.group,
            monotonic: environment.clock,
            observer: { record in timeline.append(.device(record.event), at: record.timestamp) },
            tap: TimelineTap(timeline: timeline, vantage: .device)
        )
        return RunSession(
            scenario: scenario,
            environment: environment,
            hub: hub,
            device: device,
            deviceKey: key,
            hubPort: port,
            hostName: hostName
        )
    }

    func stop() async {
        await device.shutdown()
        await hub.stop()
    }

    /// Carries out an action step.
    func perform(_ kind: Step.Kind) async -> StepStatus {
        do {
            switch kind {
            case .connect(let cleanSession, let keepAlive):
                let spec = scenario.device
                let expiry = hub.clock.now().unixSeconds + spec.tokenTTL.nanoseconds / 1_000_000_000
                let credentials = IoTHubCredentials.device(spec.id, hostName: hostName, key: deviceKey, expiry: expiry, apiVersion: spec.apiVersion)
                let request = ConnectRequest(
                    host: "127.0.0.1",
                    port: hubPort,
                    clientID: credentials.clientID,
                    username: credentials.username,
                    password: spec.token ?? credentials.password,
                    cleanSession: cleanSession,
                    keepAlive: keepAlive
                )
                let device = self.device
                return await outcomeStatus(expected: "CONNACK") { try await device.connect(request) }
            case .subscribe(let filter, let qos):
                let device = self.device
                return await outcomeStatus(expected: "SUBACK") { try await device.subscribe(to: filter, qos: qos) }
            case .send(let message):
                let request = CloudToDeviceRequest(
                    payload: ByteBuffer(string: message.payload),
                    properties: message.properties,
                    messageID: message.messageID,
                    correlationID: message.correlationID,
                    timeToLive: message.timeToLive,
                    acknowledgement: message.acknowledgement
                )
                do {
                    try await hub.sendCloudToDevice(request, to: scenario.device.id)
                    return .passed
                } catch let error as CloudToDeviceError {
                    return .failed(Failure(expected: "the hub to accept the message", observed: "it refused: \(error)"))
                }
            case .disconnect:
                try await device.disconnect()
                return .passed
            case .wait(let duration):
                try await Task.sleep(for: duration)
                return .passed
            case .expect:
                return .errored(message: "internal: an expectation is not an action")
            }
        } catch {
            return .errored(message: "\(error)")
        }
    }

    private func outcomeStatus(expected: String, _ operation: @escaping @Sendable () async throws -> OperationOutcome) async -> StepStatus {
        do {
            guard let outcome = try await withTimeout(environment.actionTimeout, operation) else {
                return .failed(Failure(expected: "\(expected) within \(ScenarioDuration.format(environment.actionTimeout))", observed: "nothing arrived"))
            }
            switch outcome {
            case .answered:
                return .passed
            case .connectionEnded(let reason):
                return .failed(Failure(expected: expected, observed: "no \(expected): \(reason)"))
            }
        } catch {
            return .errored(message: "\(error)")
        }
    }
}
