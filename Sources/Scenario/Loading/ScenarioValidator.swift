import IoTHubCore

/// Checks the order of steps: a device must connect before it subscribes, publishes,
/// disconnects or has its token expired, and an expectation about a connection needs one.
enum ScenarioValidator {
    struct Problem {
        var location: SourceLocation
        var message: String
    }

    static func check(steps: [Step], devices: [DeviceSpec]) -> [Problem] {
        var connected: Set<DeviceID> = []
        var problems: [Problem] = []
        walk(steps, connected: &connected, problems: &problems)
        return problems
    }

    private static func walk(_ steps: [Step], connected: inout Set<DeviceID>, problems: inout [Problem]) {
        for step in steps {
            let device = step.device
            func requireConnection(_ what: String) {
                guard let device, !connected.contains(device) else { return }
                problems.append(Problem(location: step.location, message: "step \(step.number) (\(what)) comes before any 'connect' of device '\(device)'; connect it first"))
            }
            switch step.kind {
            case .connect:
                if let device { connected.insert(device) }
            case .subscribe: requireConnection("subscribe")
            case .unsubscribe: requireConnection("unsubscribe")
            case .publish: requireConnection("publish")
            case .disconnect: requireConnection("disconnect")
            case .expireToken: requireConnection("expire_token")
            case .expect(let expectation):
                switch expectation.subject {
                case .connack, .disconnected, .reconnected: requireConnection("expect \(expectation.subject.name)")
                default: break
                }
            case .repeatBlock(let block):
                walk(block.steps, connected: &connected, problems: &problems)
            case .send, .restart, .revoke, .advanceClock, .wait:
                break
            }
        }
    }
}
