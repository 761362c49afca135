import IoTHubCore
import MQTTCore

/// Checks that every step can be carried out and observed on every target of the scenario:
/// moving the hub's clock, revoking credentials, queue depths and disconnect reasons exist only
/// on the simulated hub, and so do hub and certificate faults (the latter over TLS); a clock
/// skew needs minted tokens; telemetry is not observable on a real IoT Hub; a plain broker never
/// refuses a C2D message.
enum TargetValidator {
    static func check(steps: [Step], targets: [ScenarioTarget]) -> [ScenarioValidator.Problem] {
        var problems: [ScenarioValidator.Problem] = []
        for target in targets {
            if !target.hub.isSimulated { walk(steps, target: target, problems: &problems) }
            checkCertificates(steps, target: target, problems: &problems)
            checkProtocolVersion(steps, target: target, problems: &problems)
        }
        return problems
    }

    /// IoT Hub, real or simulated, speaks MQTT 3.1.1 only: a device that says `protocol: 5`
    /// would only ever get CONNACK 1, so its connect is refused at load, once per device.
    private static func checkProtocolVersion(_ steps: [Step], target: ScenarioTarget, problems: inout [ScenarioValidator.Problem]) {
        let hub: String
        switch target.hub {
        case .simulated: hub = "the simulated IoT Hub"
        case .azure: hub = "IoT Hub"
        case .broker: return
        }
        var reported: Set<String> = []
        func walk(_ steps: [Step]) {
            for step in steps {
                switch step.kind {
                case .connect:
                    let speaker: (name: String, spec: DeviceSpec)?
                    if let id = step.device, let spec = target.devices.first(where: { $0.id == id }) {
                        speaker = ("device '\(id)'", spec)
                    } else if let selection = step.fleet, let fleet = target.fleets.first(where: { $0.name == selection.fleet }) {
                        speaker = ("fleet '\(fleet.name)'", fleet.template)
                    } else {
                        speaker = nil
                    }
                    guard let speaker, speaker.spec.protocolVersion == .v5, reported.insert(speaker.name).inserted else { break }
                    problems.append(
                        ScenarioValidator.Problem(
                            location: step.location,
                            message: "\(speaker.name) speaks MQTT 5.0 (protocol: 5), and \(hub) speaks MQTT 3.1.1 only: it answers a 5.0 CONNECT with CONNACK 1 (unacceptable protocol version); use protocol 3.1.1 there, or an MQTT 5.0 broker (mqtt://...)"
                        )
                    )
                case .repeatBlock(let block):
                    walk(block.steps)
                default:
                    break
                }
            }
        }
        walk(steps)
    }

    /// Certificate faults and `trusted_roots` need the simulated hub's own TLS certificate:
    /// not a real hub or broker, nor the simulated hub with `tls: false`.
    private static func checkCertificates(_ steps: [Step], target: ScenarioTarget, problems: inout [ScenarioValidator.Problem]) {
        var usesTLS = false
        if case .simulated(let settings) = target.hub { usesTLS = settings.tls }
        let named = target.name == "\(target.hub)" ? "the target \(target.hub)" : "target '\(target.name)' (\(target.hub))"
        var reported: Set<DeviceID> = []
        func walk(_ steps: [Step]) {
            for step in steps {
                switch step.kind {
                case .fault(let fault) where fault.kind.family == .tls && target.hub.isSimulated && !usesTLS:
                    problems.append(
                        ScenarioValidator.Problem(
                            location: step.location,
                            message: "a '\(fault.kind.name)' fault changes the simulated hub's TLS certificate, and \(named) has tls: false; leave tls on"
                        )
                    )
                case .connect:
                    guard let id = step.device, let spec = target.devices.first(where: { $0.id == id }), spec.trustedRoots != .current,
                        !usesTLS, reported.insert(id).inserted
                    else { break }
                    problems.append(
                        ScenarioValidator.Problem(
                            location: step.location,
                            message: "device '\(id)' has trusted_roots: \(spec.trustedRoots.rawValue), which names the simulated hub's root certificates, and \(named) is not the simulated hub over TLS"
                        )
                    )
                case .repeatBlock(let block):
                    walk(block.steps)
                case .chaos(let block):
                    walk(block.faultSteps(at: step) + block.steps)
                default:
                    break
                }
            }
        }
        walk(steps)
    }

    private static func walk(_ steps: [Step], target: ScenarioTarget, problems: inout [ScenarioValidator.Problem]) {
        let named = target.name == "\(target.hub)" ? "the target \(target.hub)" : "target '\(target.name)' (\(target.hub))"
        for step in steps {
            var problem: String?
            switch step.kind {
            case .expireToken:
                problem = "'expire_token' needs the simulated hub, and \(named) is not: a real hub's clock cannot be moved; give the device a short token_ttl and 'wait' instead"
            case .advanceClock:
                problem = "'advance_clock' needs the simulated hub, and \(named) is not: a real hub's clock cannot be moved"
            case .revoke:
                problem = "'revoke' needs the simulated hub, and \(named) is not"
            case .fault(let fault) where fault.kind.family == .hub:
                problem = "a '\(fault.kind.name)' fault needs the simulated hub, and \(named) is not: only the simulated hub can be made to fail on purpose; network faults (drop, blackhole, delay, ...) work on every target"
            case .fault(let fault) where fault.kind.family == .tls:
                problem = "a '\(fault.kind.name)' fault needs the simulated hub, and \(named) is not: only the simulated hub's certificate can be swapped"
            case .fault(let fault) where fault.kind.family == .clock && isBroker(target):
                problem = "a '\(fault.kind.name)' fault skews the SAS tokens the harness mints, and \(named) is a plain broker, which takes none"
            case .heal(let heal) where heal.kind.map { Vocabulary.hubFaultNames.contains($0) } == true:
                problem = "healing a '\(heal.kind ?? "")' fault needs the simulated hub, and \(named) is not"
            case .send(let message) where message.refusal != nil && isBroker(target):
                problem = "'refused' needs an IoT Hub (simulated or azure://), and \(named) is a plain broker: it takes every publish the cloud side may make"
            case .expect(let expectation):
                switch expectation.subject {
                case .queued:
                    problem = "'expect queued' needs the simulated hub, and \(named) is not: only it shows its C2D queue"
                case .disconnected(_, let reason?):
                    problem = "'reason: \(reason.rawValue)' needs the simulated hub, and \(named) is not: only it says why it dropped a device; leave out 'reason'"
                case .delivered where !isBroker(target):
                    problem = "'expect delivered' needs the simulated hub or a broker, and \(named) is neither: the harness does not learn the message ids a real hub assigns"
                case .telemetry where !isBroker(target):
                    problem = "'expect telemetry' is not observable on \(named): the harness does not read a real hub's Event Hubs endpoint; expect a 'packet' of type PUBLISH to_hub instead"
                default:
                    break
                }
            case .repeatBlock(let block):
                walk(block.steps, target: target, problems: &problems)
            case .chaos(let block):
                walk(block.faultSteps(at: step) + block.steps, target: target, problems: &problems)
            default:
                break
            }
            if let problem { problems.append(ScenarioValidator.Problem(location: step.location, message: problem)) }
        }
    }

    private static func isBroker(_ target: ScenarioTarget) -> Bool {
        if case .broker = target.hub { return true }
        return false
    }
}

extension ChaosBlock {
    /// The block's faults as steps at the chaos step's place, so the checks of `fault` steps
    /// (targets, proxies) see them too.
    func faultSteps(at step: Step) -> [Step] {
        faults.map { Step(number: step.number, location: step.location, kind: .fault($0)) }
    }
}

extension [Step] {
    /// Whether any step (in `repeat` blocks too) satisfies `predicate`.
    func containsStep(where predicate: (Step) -> Bool) -> Bool {
        contains { step in
            if predicate(step) { return true }
            if case .repeatBlock(let block) = step.kind { return block.steps.containsStep(where: predicate) }
            return false
        }
    }

    /// The devices the network faults of these steps strike (`all`: every one of `devices`).
    func networkFaultDevices(among devices: [DeviceID]) -> Set<DeviceID> {
        var struck: Set<DeviceID> = []
        func walk(_ steps: [Step]) {
            for step in steps {
                switch step.kind {
                case .fault(let fault) where fault.kind.family == .network:
                    switch fault.target {
                    case .device(let id): struck.insert(id)
                    case .allDevices, .hub: struck.formUnion(devices)
                    }
                case .repeatBlock(let block): walk(block.steps)
                case .chaos(let block):
                    walk(block.faultSteps(at: step) + block.steps)
                default: break
                }
            }
        }
        walk(self)
        return struck
    }

    /// Whether the scenario needs a cloud side: it sends C2D messages or expects telemetry.
    var needsCloud: Bool {
        containsStep { step in
            switch step.kind {
            case .send: true
            case .expect(let expectation):
                if case .telemetry = expectation.subject { true } else { false }
            default: false
            }
        }
    }
}
