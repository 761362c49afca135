import IoTHubCore

/// Checks the order of steps: a device must connect before it subscribes, publishes,
/// disconnects or has its token expired, and an expectation about a connection needs one.
enum ScenarioValidator {
    struct Problem {
        var location: SourceLocation
        var message: String
    }

    static func check(steps: [Step], devices: [DeviceSpec], fleets: [FleetSpec] = []) -> [Problem] {
        var connected: Set<DeviceID> = []
        var problems: [Problem] = []
        // A fleet is checked as one device: its template, under a name no device can have.
        var kinds = Dictionary(devices.map { ($0.id, $0.kind) }, uniquingKeysWith: { first, _ in first })
        for fleet in fleets { kinds[fleetKey(fleet.name)] = fleet.template.kind }
        let steps = steps.map(Self.asDeviceStep)
        walk(steps, kinds: kinds, connected: &connected, problems: &problems)
        checkOrderReferences(steps, problems: &problems)
        return problems
    }

    /// The key a fleet is checked under.
    private static func fleetKey(_ name: String) -> DeviceID {
        DeviceID(checkedParts: "fleet \(name)")
    }

    /// A fleet step as a step of the fleet's stand-in device (blocks too).
    private static func asDeviceStep(_ step: Step) -> Step {
        var step = step
        if let fleet = step.fleet { step.device = fleetKey(fleet.fleet) }
        switch step.kind {
        case .repeatBlock(var block):
            block.steps = block.steps.map(asDeviceStep)
            step.kind = .repeatBlock(block)
        case .chaos(var block):
            block.steps = block.steps.map(asDeviceStep)
            step.kind = .chaos(block)
        default:
            break
        }
        return step
    }

    /// `after: N` names an earlier top-level expectation of the same device (the one whose
    /// observation this one must follow).
    private static func checkOrderReferences(_ steps: [Step], problems: inout [Problem]) {
        var expectations: [StepNumber: Step] = [:]
        for step in steps {
            guard case .expect(let expectation) = step.kind else { continue }
            if let after = expectation.after {
                if let earlier = expectations[after] {
                    if earlier.device != step.device {
                        problems.append(Problem(location: step.location, message: "step \(step.number): 'after: \(after)' names an expectation of another device; order observations of one device"))
                    }
                } else {
                    problems.append(Problem(location: step.location, message: "step \(step.number): 'after: \(after)' must name an earlier top-level 'expect' step (whose observation this one must follow)"))
                }
            }
            expectations[step.number] = step
        }
    }

    private static func walk(_ steps: [Step], kinds: [DeviceID: DeviceSpec.Kind], connected: inout Set<DeviceID>, problems: inout [Problem]) {
        for step in steps {
            let device = step.device
            func requireConnection(_ what: String) {
                guard let device, !connected.contains(device) else { return }
                problems.append(Problem(location: step.location, message: "step \(step.number) (\(what)) comes before any 'connect' of device '\(device)'; connect it first"))
            }
            switch step.kind {
            case .connect:
                if let device { connected.insert(device) }
            case .sendBytes:
                // Raw bytes open the transport themselves.
                if let device {
                    connected.insert(device)
                    if let kind = kinds[device], kind != .client {
                        problems.append(Problem(location: step.location, message: "step \(step.number) (send_bytes): device '\(device)' is of kind '\(kind.rawValue)', which cannot send raw bytes; use a device of kind 'client'"))
                    }
                }
            case .subscribe: requireConnection("subscribe")
            case .unsubscribe: requireConnection("unsubscribe")
            case .publish: requireConnection("publish")
            case .disconnect: requireConnection("disconnect")
            case .expireToken: requireConnection("expire_token")
            case .expect(let expectation):
                for subject in expectation.subject.leaves {
                    check(subject, of: step, kinds: kinds, connected: connected, problems: &problems)
                }
            case .repeatBlock(let block):
                walk(block.steps, kinds: kinds, connected: &connected, problems: &problems)
            case .chaos(let block):
                walk(block.steps, kinds: kinds, connected: &connected, problems: &problems)
            case .send, .restart, .revoke, .advanceClock, .wait, .fault, .heal, .provision:
                break
            }
        }
    }

    /// What an expectation's subject needs from its device.
    private static func check(_ subject: Expectation.Subject, of step: Step, kinds: [DeviceID: DeviceSpec.Kind], connected: Set<DeviceID>, problems: inout [Problem]) {
        let device = step.device
        func requireConnection(_ what: String) {
            guard let device, !connected.contains(device) else { return }
            problems.append(Problem(location: step.location, message: "step \(step.number) (\(what)) comes before any 'connect' of device '\(device)'; connect it first"))
        }
        let expectation = Expectation(subject: subject, deadline: .within(.zero))
        do {
                if case .bytes = expectation.subject, let device, let kind = kinds[device], kind != .client {
                    problems.append(Problem(location: step.location, message: "step \(step.number) (expect bytes): device '\(device)' is of kind '\(kind.rawValue)', which does not report raw bytes; use a device of kind 'client'"))
                }
                switch expectation.subject {
                case .led, .pin:
                    if let device, let kind = kinds[device], kind == .client {
                        problems.append(Problem(location: step.location, message: "step \(step.number) (expect \(expectation.subject.name)): device '\(device)' is of kind 'client', a bare MQTT client without pins; use kind 'simulated', 'process' or 'serial' for an LED"))
                    }
                default:
                    break
                }
                if case .output = expectation.subject, let device, let kind = kinds[device], kind == .simulated {
                    problems.append(Problem(location: step.location, message: "step \(step.number) (expect output): device '\(device)' is of kind 'simulated', which prints no output; 'output' reads the lines of a 'process' or 'serial' device"))
                }
                switch expectation.subject {
                case .connack, .disconnected, .reconnected, .bytes: requireConnection("expect \(expectation.subject.name)")
                default: break
                }
        }
    }
}
