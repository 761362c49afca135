import Foundation
import IoTHubCore
import MQTTCore

/// What carries out network faults on one device's path: the proxy it connects through.
protocol NetworkFaultPath: Sendable {
    /// Starts `fault` on the path (a momentary one happens now).
    /// - Returns: what it did, in plain words (`2 connections reset`), or `nil` when nothing
    ///   worth saying.
    func begin(_ fault: FaultKind) async throws -> String?
    /// Ends the fault of this kind on the path, if it is on.
    func end(_ fault: FaultKind) async throws
}

/// Starts, heals and records a run's faults: network faults on each device's path, hub faults
/// on the simulated hub. A fault with a duration heals by itself; every fault still on heals
/// at the end of the run. Each start, effect and end goes on the run's record.
actor FaultController {
    private struct ActiveFault {
        var id: Int
        var spec: FaultSpec
        var startedAt: UInt64
        var healTask: Task<Void, Never>?
    }

    private let record: RunRecord
    private let paths: [DeviceID: any NetworkFaultPath]
    private let clocks: [DeviceID: DeviceWallClock]
    private let simulation: (any HubSimulationControls)?
    private let devices: [DeviceID]
    private var active: [ActiveFault] = []
    private var lastID = 0

    /// - Parameters:
    ///   - paths: the network path of each device that network faults can strike.
    ///   - clocks: each device's own clock, for clock faults.
    ///   - simulation: the simulated hub's controls, for hub and certificate faults.
    ///   - devices: the scenario's devices, in order (what `all` covers).
    init(
        record: RunRecord,
        paths: [DeviceID: any NetworkFaultPath],
        clocks: [DeviceID: DeviceWallClock] = [:],
        simulation: (any HubSimulationControls)?,
        devices: [DeviceID]
    ) {
        self.record = record
        self.paths = paths
        self.clocks = clocks
        self.simulation = simulation
        self.devices = devices
    }

    /// Starts `spec`; it heals after its duration. A fault of the same kind already on for the
    /// same target is healed first, so the new one's duration counts.
    func start(_ spec: FaultSpec) async -> StepStatus {
        for fault in active where fault.spec.kind.name == spec.kind.name && fault.spec.target == spec.target {
            await end(fault.id, reason: "replaced by a new \(spec.kind.name) fault")
        }
        let devices = strickenDevices(spec.target)
        var effects: [String] = []
        do {
            switch spec.kind.family {
            case .network:
                for device in devices {
                    guard let path = paths[device] else {
                        throw FaultError(description: "device '\(device)' does not connect through a fault proxy, so the harness cannot reach its network path")
                    }
                    if let effect = try await path.begin(spec.kind) { effects.append(devices.count > 1 ? "\(device): \(effect)" : effect) }
                }
            case .hub, .tls:
                guard let simulation else { throw FaultError(description: "a \(spec.kind.name) fault needs the simulated hub") }
                try await simulation.startFault(spec.kind, device: spec.target.device)
            case .clock:
                guard case .clockSkew(let skew) = spec.kind else { throw FaultError(description: "internal: \(spec.kind.name) is not a clock fault") }
                for device in devices {
                    guard let clock = clocks[device] else { throw FaultError(description: "device '\(device)' has no clock the harness sets") }
                    clock.setSkew(skew)
                }
            }
        } catch {
            note(.failed, spec, detail: "\(error)")
            // What did start is ended again, so nothing is left half on.
            await endEffects(of: spec, on: devices)
            return .failed(Failure(expected: "the \(spec.kind.name) fault to start", observed: "\(error)"))
        }
        let momentary = spec.kind.isMomentary
        var detail = spec.duration.map { "for \(ScenarioDuration.format($0))" } ?? (momentary ? "" : "until healed")
        if !effects.isEmpty { detail += (detail.isEmpty ? "" : "; ") + effects.joined(separator: "; ") }
        note(.started, spec, detail: detail)
        guard !momentary else { return .passed }
        lastID += 1
        let id = lastID
        var fault = ActiveFault(id: id, spec: spec, startedAt: record.clock.nanoseconds())
        if let duration = spec.duration {
            fault.healTask = Task { [weak self] in
                try? await Task.sleep(for: duration)
                guard !Task.isCancelled else { return }
                await self?.end(id, reason: "its \(ScenarioDuration.format(duration)) are up")
            }
        }
        active.append(fault)
        return .passed
    }

    /// Ends the faults `heal` names.
    func heal(_ heal: FaultHeal) async -> StepStatus {
        let matching = active.filter { fault in
            (heal.kind.map { $0 == fault.spec.kind.name } ?? true) && (heal.target.map { Self.overlaps($0, fault.spec.target) } ?? true)
        }
        for fault in matching { await end(fault.id, reason: "healed by a heal step") }
        return .passed
    }

    /// Ends every fault still on (the run is over).
    func healAll() async {
        for fault in active { await end(fault.id, reason: "the run ended") }
    }

    /// The kinds of fault on now (for reports and invariants).
    var activeFaults: [FaultSpec] { active.map(\.spec) }

    private func end(_ id: Int, reason: String) async {
        guard let index = active.firstIndex(where: { $0.id == id }) else { return }
        let fault = active.remove(at: index)
        fault.healTask?.cancel()
        let lasted = Double(record.clock.nanoseconds() &- fault.startedAt) / 1e9
        let failures = await endEffects(of: fault.spec, on: strickenDevices(fault.spec.target))
        let detail = "\(reason), after \(String(format: "%.3f", lasted)) s" + (failures.isEmpty ? "" : "; " + failures.joined(separator: "; "))
        note(.healed, fault.spec, detail: detail)
    }

    /// Undoes a fault's effect on every path or on the hub; returns what could not be undone.
    @discardableResult
    private func endEffects(of spec: FaultSpec, on devices: [DeviceID]) async -> [String] {
        guard !spec.kind.isMomentary else { return [] }
        var failures: [String] = []
        switch spec.kind.family {
        case .network:
            for device in devices {
                do { try await paths[device]?.end(spec.kind) } catch { failures.append("\(device): could not heal: \(error)") }
            }
        case .hub, .tls:
            do { try await simulation?.endFault(spec.kind, device: spec.target.device) } catch { failures.append("could not heal: \(error)") }
        case .clock:
            for device in devices { clocks[device]?.setSkew(.zero) }
        }
        return failures
    }

    private func strickenDevices(_ target: FaultTarget) -> [DeviceID] {
        switch target {
        case .device(let id): [id]
        case .allDevices, .hub: devices
        }
    }

    private static func overlaps(_ lhs: FaultTarget, _ rhs: FaultTarget) -> Bool {
        switch (lhs, rhs) {
        case (.device(let a), .device(let b)): a == b
        default: true
        }
    }

    private func note(_ phase: FaultEvent.Phase, _ spec: FaultSpec, detail: String) {
        let event = FaultEvent(phase: phase, kind: spec.kind.summary, device: spec.target.device, target: "\(spec.target)", detail: detail)
        record.append(.fault(event), at: record.clock.nanoseconds())
    }
}

/// A fault that cannot be carried out.
struct FaultError: Error, CustomStringConvertible {
    var description: String
}

extension FaultTarget {
    /// The one device it names, if it names one.
    var device: DeviceID? {
        if case .device(let id) = self { return id }
        return nil
    }
}
