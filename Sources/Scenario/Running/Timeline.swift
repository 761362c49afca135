import Devices
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTCore
import Synchronization

/// Where a packet record was taken.
public enum Vantage: Sendable, Hashable {
    /// At the device's codec (what the device sent and received).
    case device
    /// At the simulated hub's codec.
    case hub
}

/// Everything observed during a run, on one monotonic clock.
public enum Observation: Sendable, Hashable {
    case hub(HubEvent)
    case device(DeviceID, DeviceEvent)
    /// A packet at a codec. `device` is known for the device's own codec; for the hub's codec
    /// it is derived from the hub's connection events (see ``Timeline/device(ofHubConnection:)``).
    case packet(PacketRecord, vantage: Vantage, device: DeviceID?)
    /// A scenario step started (the cause later expectations measure from); `iteration`
    /// counts from 1 inside `repeat` blocks.
    case stepStarted(number: StepNumber, iteration: Int?)
}

/// One timestamped observation.
public struct TimelineEntry: Sendable, Hashable {
    /// Monotonic nanoseconds.
    public var time: UInt64
    public var observation: Observation
}

/// The run's append-only record of observations, which expectations wait on.
///
/// Expectations search from the position of the action that caused them, so an event that
/// happens before the expectation step starts waiting is still found: there is no race
/// between acting and observing.
public final class Timeline: Sendable {
    private struct Waiter {
        var id: UInt64
        var start: Int
        var predicate: @Sendable (TimelineEntry) -> Bool
        var continuation: CheckedContinuation<(index: Int, entry: TimelineEntry)?, Never>
    }

    private struct State {
        var entries: [TimelineEntry] = []
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        /// Waiters whose deadline passed before they were registered.
        var expired: Set<UInt64> = []
    }

    private let state = Mutex(State())
    let clock: any MonotonicClock
    private let observer: (@Sendable (TimelineEntry) -> Void)?

    /// - Parameter observer: sees every entry as it is appended (for live output); must not block.
    public init(clock: any MonotonicClock, observer: (@Sendable (TimelineEntry) -> Void)? = nil) {
        self.clock = clock
        self.observer = observer
    }

    /// Appends an observation stamped `time` and wakes the expectations it satisfies.
    public func append(_ observation: Observation, at time: UInt64) {
        let entry = TimelineEntry(time: time, observation: observation)
        let ready = state.withLock { state -> [(CheckedContinuation<(index: Int, entry: TimelineEntry)?, Never>, Int)] in
            state.entries.append(entry)
            let index = state.entries.count - 1
            var ready: [(CheckedContinuation<(index: Int, entry: TimelineEntry)?, Never>, Int)] = []
            state.waiters.removeAll { waiter in
                guard index >= waiter.start, waiter.predicate(entry) else { return false }
                ready.append((waiter.continuation, index))
                return true
            }
            return ready
        }
        for (continuation, index) in ready { continuation.resume(returning: (index, entry)) }
        observer?(entry)
    }

    /// Appends an observation stamped now.
    public func append(_ observation: Observation) {
        append(observation, at: clock.nanoseconds())
    }

    /// The number of entries so far: the position an action's effects start at.
    public var count: Int { state.withLock { $0.entries.count } }

    /// A copy of every entry.
    public func entries() -> [TimelineEntry] { state.withLock { $0.entries } }

    /// The first entry at or after `start` that satisfies `predicate`, waiting for it until the
    /// monotonic time `deadline`.
    /// - Returns: the entry and its index, or `nil` if none came by the deadline.
    public func firstMatch(
        from start: Int,
        until deadline: UInt64,
        where predicate: @escaping @Sendable (TimelineEntry) -> Bool
    ) async -> (index: Int, entry: TimelineEntry)? {
        let waiterID = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        let timeout = Task { [clock] in
            let now = clock.nanoseconds()
            if deadline > now { try? await Task.sleep(for: .nanoseconds(Int64(deadline - now))) }
            guard !Task.isCancelled else { return }
            self.cancelWaiter(waiterID)
        }
        defer { timeout.cancel() }
        // A cancelled wait (a `one_of` branch another branch beat) ends at once, as at its deadline.
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let outcome = state.withLock { state -> (index: Int, entry: TimelineEntry)?? in
                    if start < state.entries.count {
                        for index in start..<state.entries.count where predicate(state.entries[index]) {
                            return .some((index, state.entries[index]))
                        }
                    }
                    if state.expired.remove(waiterID) != nil { return .some(nil) }
                    state.waiters.append(Waiter(id: waiterID, start: start, predicate: predicate, continuation: continuation))
                    return .none
                }
                if case .some(let found) = outcome { continuation.resume(returning: found) }
            }
        } onCancel: {
            self.cancelWaiter(waiterID)
        }
    }

    private func cancelWaiter(_ id: UInt64) {
        let continuation = state.withLock { state -> CheckedContinuation<(index: Int, entry: TimelineEntry)?, Never>? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else {
                state.expired.insert(id)
                return nil
            }
            return state.waiters.remove(at: index).continuation
        }
        continuation?.resume(returning: nil)
    }
}

/// Feeds packet records from one vantage point into a timeline.
struct TimelineTap: PacketTap {
    let timeline: Timeline
    let vantage: Vantage
    let device: DeviceID?

    func record(_ record: PacketRecord) {
        timeline.append(.packet(record, vantage: vantage, device: device), at: record.timestamp)
    }
}

extension [TimelineEntry] {
    /// The device each hub connection belongs to, from the hub's connection events.
    func hubConnectionDevices() -> [UInt64: DeviceID] {
        var map: [UInt64: DeviceID] = [:]
        for entry in self {
            switch entry.observation {
            case .hub(.connected(let device, let connection, _, _, _)):
                map[connection] = device
            case .hub(.connectionRefused(let clientID, let connection, _, _)):
                if let device = try? DeviceID(clientID) { map[connection] = device }
            default:
                break
            }
        }
        return map
    }
}

/// Records what a tap proxy sees of one device as the device's own observations: every packet,
/// plus a CONNACK event for each CONNACK the broker sends it (what a device with its own codec
/// reports), so `expect connack` works for firmware behind the proxy.
struct DeviceTapObserver: PacketTap {
    let timeline: Timeline
    let device: DeviceID

    func record(_ record: PacketRecord) {
        timeline.append(.packet(record, vantage: .device, device: device), at: record.timestamp)
        if record.direction == .inbound, case .connack(let connack) = record.packet {
            timeline.append(.device(device, .connAckReceived(connack)), at: record.timestamp)
        }
    }
}
