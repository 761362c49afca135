import Devices
import IoTHubCore
import MQTTClient
import MQTTCore

extension RunSession {
    /// How a `provision` step went: its status, the service's final answer and how long the
    /// registration took (CONNECT to final answer).
    struct ProvisioningOutcome: Sendable {
        var status: StepStatus
        var result: ProvisioningResult?
        var latency: Duration?
    }

    /// The longest a registration may take, status polls included: the service's
    /// `retry-after` times the polls fit in it.
    static let registrationTimeout = Duration.seconds(30)

    /// Registers the device with the simulated hub's Device Provisioning Service; when it is
    /// assigned, its next connects use the hub and device id the service returned and the key
    /// it attested with.
    func provision(_ spec: ProvisionSpec, participant: Participant) async -> ProvisioningOutcome {
        let device = participant.spec
        guard case .simulated(let hub) = target.hub, let service = hub.provisioning else {
            return ProvisioningOutcome(status: .errored(message: "'provision' needs the simulated hub with 'dps:'; the target is \(target.hub)"))
        }
        let credential: ProvisioningCredential
        switch ProvisioningCredential.resolve(spec, device: device, service: service) {
        case .success(let resolved): credential = resolved
        case .failure(let error): return ProvisioningOutcome(status: .errored(message: error.description))
        }
        var endpoint = backend.endpoint
        var tls = endpoint.tls
        if let proxy = proxies[device.id] {
            if var proxied = tls, proxied.serverName == nil { proxied.serverName = endpoint.host; tls = proxied }
            endpoint.host = proxy.host
            endpoint.port = proxy.port
        }
        if var withCertificate = tls, let certificate = device.certificateFile, let key = device.keyFile {
            withCertificate.certificateFile = certificate
            withCertificate.keyFile = key
            tls = withCertificate
        }
        let client = ProvisioningClient(
            idScope: spec.idScope ?? service.idScope,
            registrationID: device.id.string,
            credential: credential,
            endpoint: BrokerEndpoint(host: endpoint.host, port: endpoint.port, tls: tls),
            environment: environment,
            tap: RecordTap(runRecord: record, vantage: .device, device: device.id)
        )
        let start = environment.clock.nanoseconds()
        let answer = await client.register(tokenExpiry: participant.clock.unixSeconds() + 3600, timeout: environment.scaled(Self.registrationTimeout))
        let latency = Duration.nanoseconds(Int64(clamping: environment.clock.nanoseconds() &- start))
        switch answer {
        case .failure(let failure):
            return ProvisioningOutcome(status: .failed(Failure(expected: "the Device Provisioning Service to assign device '\(device.id)'", observed: failure.description)))
        case .success(let result) where spec.refusal != nil:
            return ProvisioningOutcome(status: Self.refusalStatus(result, expected: spec.refusal, device: device.id), result: result, latency: latency)
        case .success(let result):
            guard result.status == .assigned else {
                let hubSide = lastRefusal(of: device.id).map { "; the hub's DPS says: \($0)" } ?? ""
                return ProvisioningOutcome(
                    status: .failed(Failure(expected: "the Device Provisioning Service to assign device '\(device.id)'", observed: "DPS \(result.description)\(hubSide)")),
                    result: result,
                    latency: latency
                )
            }
            guard let hostName = result.assignedHub, !hostName.isEmpty, let text = result.deviceID, let deviceID = try? DeviceID(text) else {
                return ProvisioningOutcome(
                    status: .failed(Failure(expected: "an assigned hub and device id", observed: "DPS answered assigned without them: \(result.description)")),
                    result: result,
                    latency: latency
                )
            }
            var key: DeviceKey?
            if case .symmetricKey(let attested) = credential { key = attested }
            provisionedDevices.record(ProvisionedDevices.Assignment(hostName: hostName, deviceID: deviceID, key: key), for: device.id)
            return ProvisioningOutcome(status: .passed, result: result, latency: latency)
        }
    }

    /// A step that expects DPS to refuse: passed for an error answer of the status asked for,
    /// or (`refused: true`) for any end but `assigned`: an error answer, `failed` or `disabled`.
    static func refusalStatus(_ result: ProvisioningResult, expected: ProvisionSpec.Refusal?, device: DeviceID) -> StepStatus {
        let wanted: String
        switch expected {
        case .status(let status)?:
            wanted = "DPS to refuse device '\(device)' with \(status)"
            if result.status == .refused, result.responseStatus == status { return .passed }
        case .any?, nil:
            wanted = "DPS to refuse device '\(device)' (an error answer, failed or disabled)"
            if [.refused, .failed, .disabled].contains(result.status) { return .passed }
        }
        return .failed(Failure(expected: wanted, observed: "DPS \(result.description)"))
    }

    /// The hub's own account of the device's last refused or failed registration.
    private func lastRefusal(of device: DeviceID) -> String? {
        for entry in record.entries().reversed() {
            guard case .cloud(.provisioning(let activity)) = entry.event, activity.device == device else { continue }
            switch activity.outcome {
            case .refused, .failed, .disabled: return activity.text
            default: continue
            }
        }
        return nil
    }
}
