import IoTHubCore

/// Checks `provision` steps and `provisioned` expectations against every target: they need the
/// simulated hub with `dps:`; `provision` drives the harness's own devices (kinds simulated
/// and client; firmware registers by itself and is judged with `expect provisioned`), one at
/// a time, each with something to attest with.
enum ProvisioningValidator {
    static func check(steps: [Step], targets: [ScenarioTarget]) -> [ScenarioValidator.Problem] {
        var problems: [ScenarioValidator.Problem] = []
        for target in targets {
            var service: ProvisioningSpec?
            if case .simulated(let hub) = target.hub { service = hub.provisioning }
            let named = target.name == "\(target.hub)" ? "the target \(target.hub)" : "target '\(target.name)' (\(target.hub))"
            walk(steps) { step in
                if let found = problem(with: step, service: service, devices: target.devices, named: named) {
                    problems.append(ScenarioValidator.Problem(location: step.location, message: found))
                }
            }
        }
        return problems
    }

    private static func walk(_ steps: [Step], _ visit: (Step) -> Void) {
        for step in steps {
            visit(step)
            switch step.kind {
            case .repeatBlock(let block): walk(block.steps, visit)
            case .chaos(let block): walk(block.steps, visit)
            default: break
            }
        }
    }

    private static func problem(with step: Step, service: ProvisioningSpec?, devices: [DeviceSpec], named: String) -> String? {
        switch step.kind {
        case .provision(let spec):
            guard let service else {
                return "'provision' needs a Device Provisioning Service: \(named) has none; give the simulated hub a 'dps:' with an id_scope and enrollments"
            }
            guard step.fleet == nil else {
                return "'provision' registers one device; give 'device:' a device of its own, not a fleet"
            }
            guard let id = step.device, let device = devices.first(where: { $0.id == id }) else { return nil }
            guard device.kind == .simulated || device.kind == .client else {
                return "device '\(id)' is of kind '\(device.kind.rawValue)', whose firmware registers by itself; 'provision' drives kinds simulated and client (judge firmware with expect: { provisioned: assigned })"
            }
            if case .failure(let error) = ProvisioningCredential.resolve(spec, device: device, service: service) { return error.description }
            return nil
        case .expect(let expectation):
            guard expectation.subject.leaves.contains(where: { if case .provisioned = $0 { true } else { false } }), service == nil else { return nil }
            return "'expect provisioned' reads the simulated hub's Device Provisioning Service, and \(named) has none; give the simulated hub a 'dps:'"
        default:
            return nil
        }
    }
}

extension [Step] {
    /// The devices that register with DPS: those a `provision` step registers, and those an
    /// `expect: { provisioned }` watches (firmware that registers by itself). The simulated
    /// hub leaves them out of its registry until DPS assigns them, as a fleet's devices are
    /// unknown to the hub before they provision.
    var provisioningDevices: Set<DeviceID> {
        var devices: Set<DeviceID> = []
        func walk(_ steps: [Step]) {
            for step in steps {
                switch step.kind {
                case .provision: if let id = step.device { devices.insert(id) }
                case .expect(let expectation) where expectation.subject.leaves.contains(where: { if case .provisioned = $0 { true } else { false } }):
                    if let id = step.device { devices.insert(id) }
                case .repeatBlock(let block): walk(block.steps)
                case .chaos(let block): walk(block.steps)
                default: break
                }
            }
        }
        walk(self)
        return devices
    }
}
