import Devices
import IoTHubCore
import MQTTCore

/// A loaded, validated scenario: the devices, the targets to run against, and the steps.
public struct Scenario: Sendable {
    public var name: String
    public var description: String?
    /// The file it was loaded from.
    public var path: String
    /// What to run against; the scenario runs once per target. Never empty.
    public var targets: [ScenarioTarget]
    /// The steps, shared by every target.
    public var steps: [Step]
    /// The `finally:` steps: cleanup that runs after ``steps`` whatever happened in them
    /// (numbered on from the last step).
    public var finallySteps: [Step] = []
    /// Values of variables marked secret, masked in every output.
    public var secretValues: [String]
    /// The normative statements the scenario's steps check (`statements:`, for example
    /// `MQTT-3.1.2-24`), each once, in the file's order; empty when it names none.
    public var statements: [String] {
        var seen: Set<String> = []
        return (steps + finallySteps).flatMap(\.statements).filter { seen.insert($0).inserted }
    }

    public init(
        name: String,
        description: String? = nil,
        path: String,
        targets: [ScenarioTarget],
        steps: [Step],
        secretValues: [String] = []
    ) {
        self.name = name
        self.description = description
        self.path = path
        self.targets = targets
        self.steps = steps
        self.secretValues = secretValues
    }

    /// The devices of the first target (every target has the same ids).
    public var devices: [DeviceSpec] { targets.first?.devices ?? [] }

    /// The only device, for single-device scenarios.
    public var device: DeviceSpec? { devices.count == 1 ? devices.first : nil }
}

/// One run configuration: which hub, and the devices as this target realises them.
public struct ScenarioTarget: Sendable, Hashable {
    /// Shown in reports: `c2d-led [simulated]`.
    public var name: String
    public var hub: HubTarget
    /// The devices of their own (not fleet members).
    public var devices: [DeviceSpec]
    /// The fleets, each holding the members this run runs.
    public var fleets: [FleetSpec] = []

    public init(name: String, hub: HubTarget, devices: [DeviceSpec], fleets: [FleetSpec] = []) {
        self.name = name
        self.hub = hub
        self.devices = devices
        self.fleets = fleets
    }

    /// Every device the run creates: the devices of their own, then each fleet's members.
    public func allDevices() -> [DeviceSpec] {
        devices + fleets.flatMap { $0.memberSpecs() }
    }

    /// The fleet named `name`.
    public func fleet(named name: String) -> FleetSpec? {
        fleets.first { $0.name == name }
    }

    /// The members of `selection` this run holds, in index order.
    public func members(of selection: FleetSelection) -> [DeviceID] {
        guard let fleet = fleet(named: selection.fleet) else { return [] }
        return selection.indices(fleetCount: fleet.count).filter(fleet.members.contains).map(fleet.memberID)
    }
}
