import Devices
import IoTHubCore
import MQTTCore
import Synchronization

/// The run's one record of what was observed, on one monotonic clock: every step start,
/// packet, device event and cloud event, appended once and attributed to its device as it is
/// appended. Expectations wait on it; reports read a copy of its entries.
///
/// Packets arrive from two vantages (device codecs and tap proxies, the simulated hub's
/// codec); each device is watched at one of them (``watch(_:at:)``) and the other copy is not
/// kept. Packets seen at the hub are attributed through the client id of the connection's
/// CONNECT and the hub's connection events.
///
/// Expectations search from the position of the action that caused them, so an event that
/// happens before the expectation step starts waiting is still found: there is no race
/// between acting and observing.
public final class RunRecord: Sendable {
    /// One timestamped event.
    public struct Entry: Sendable, Hashable {
        /// Monotonic nanoseconds.
        public var time: UInt64
        public var event: RunEvent

        public init(time: UInt64, event: RunEvent) {
            self.time = time
            self.event = event
        }
    }

    private struct Waiter {
        var id: UInt64
        var start: Int
        var predicate: @Sendable (Entry) -> Bool
        var continuation: CheckedContinuation<(index: Int, entry: Entry)?, Never>
    }

    private struct State {
        var entries: [Entry] = []
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        /// Waiters whose deadline passed before they were registered.
        var expired: Set<UInt64> = []
        var vantages: [DeviceID: Vantage] = [:]
        /// The device each of the hub's connections belongs to.
        var hubConnections: [UInt64: DeviceID] = [:]
    }

    private let state = Mutex(State())
    /// The run's monotonic clock.
    public let clock: any MonotonicClock
    private let observer: (@Sendable (Entry) -> Void)?

    /// - Parameter observer: sees every entry as it is appended (for live output); must not block.
    public init(clock: any MonotonicClock, observer: (@Sendable (Entry) -> Void)? = nil) {
        self.clock = clock
        self.observer = observer
    }

    // MARK: Devices and vantages

    /// Watches `device`'s packets at `vantage`; call before the device starts.
    public func watch(_ device: DeviceID, at vantage: Vantage) {
        state.withLock { $0.vantages[device] = vantage }
    }

    /// Where `device`'s packets are watched (its own codec when it was never registered).
    public func vantage(of device: DeviceID) -> Vantage {
        state.withLock { $0.vantages[device] } ?? .device
    }

    // MARK: Appending

    /// Appends an event stamped `time` and wakes the expectations it satisfies.
    public func append(_ event: RunEvent, at time: UInt64) {
        let entry = Entry(time: time, event: event)
        let ready = state.withLock { state in
            if case .cloud(let cloud) = event { Self.learnConnection(cloud, into: &state) }
            return Self.append(entry, to: &state)
        }
        resume(ready, entry)
    }

    /// Appends an event stamped now.
    public func append(_ event: RunEvent) {
        append(event, at: clock.nanoseconds())
    }

    /// Records a packet seen at `vantage`, attributing it to its device, unless that device is
    /// watched at the other vantage. `device` is known for a device's own codec; for the
    /// hub's it is worked out from the connection.
    public func appendPacket(_ record: PacketRecord, seenAt vantage: Vantage, device: DeviceID? = nil) {
        let appended = state.withLock { state -> (ready: [Ready], entry: Entry)? in
            var owner = device
            if vantage == .hub {
                if record.direction == .inbound, case .connect(let connect) = record.packet, let id = try? DeviceID(connect.clientID) {
                    state.hubConnections[record.connection] = id
                }
                owner = state.hubConnections[record.connection]
            }
            if let owner, let watched = state.vantages[owner] {
                guard watched == vantage else { return nil }
            } else if vantage == .hub {
                // A connection no device of the run owns (a raw client id, garbage): shown only
                // when no device is watched at its own codec, which would show it there.
                guard !state.vantages.values.contains(.device) else { return nil }
                owner = nil
            }
            let entry = Entry(time: record.timestamp, event: .packet(PacketObservation(record: record, vantage: vantage, device: owner)))
            return (Self.append(entry, to: &state), entry)
        }
        if let appended { resume(appended.ready, appended.entry) }
    }

    private static func learnConnection(_ event: CloudEvent, into state: inout State) {
        switch event {
        case .connected(let device, .some(let connection), _, _, _):
            state.hubConnections[connection] = device
        case .refused(let clientID, .some(let connection), _, _):
            if let device = try? DeviceID(clientID) { state.hubConnections[connection] = device }
        default:
            break
        }
    }

    private typealias Ready = (continuation: CheckedContinuation<(index: Int, entry: Entry)?, Never>, index: Int)

    /// Appends under the lock; returns the waiters the entry satisfies.
    private static func append(_ entry: Entry, to state: inout State) -> [Ready] {
        state.entries.append(entry)
        let index = state.entries.count - 1
        var ready: [Ready] = []
        state.waiters.removeAll { waiter in
            guard index >= waiter.start, waiter.predicate(entry) else { return false }
            ready.append((waiter.continuation, index))
            return true
        }
        return ready
    }

    /// Outside the lock: wakes the waiters and tells the observer.
    private func resume(_ ready: [Ready], _ entry: Entry) {
        for item in ready { item.continuation.resume(returning: (item.index, entry)) }
        observer?(entry)
    }

    // MARK: Reading

    /// The number of entries so far: the position an action's effects start at.
    public var count: Int { state.withLock { $0.entries.count } }

    /// A copy of every entry.
    public func entries() -> [Entry] { state.withLock { $0.entries } }

    /// The first entry at or after `start` that satisfies `predicate`, waiting for it until the
    /// monotonic time `deadline` or until the task is cancelled.
    /// - Returns: the entry and its index, or `nil` if none came by the deadline.
    public func firstMatch(
        from start: Int,
        until deadline: UInt64,
        where predicate: @escaping @Sendable (Entry) -> Bool
    ) async -> (index: Int, entry: Entry)? {
        let waiterID = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        let timeout = Task { [clock] in
            let now = clock.nanoseconds()
            if deadline > now { try? await Task.sleep(for: .nanoseconds(Int64(clamping: deadline - now))) }
            guard !Task.isCancelled else { return }
            self.cancelWaiter(waiterID)
        }
        defer { timeout.cancel() }
        return await withTaskCancellationHandler {
            await wait(waiterID, from: start, where: predicate)
        } onCancel: {
            self.cancelWaiter(waiterID)
        }
    }

    private func wait(
        _ waiterID: UInt64,
        from start: Int,
        where predicate: @escaping @Sendable (Entry) -> Bool
    ) async -> (index: Int, entry: Entry)? {
        await withCheckedContinuation { continuation in
            let outcome = state.withLock { state -> (index: Int, entry: Entry)?? in
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
    }

    private func cancelWaiter(_ id: UInt64) {
        let continuation = state.withLock { state -> CheckedContinuation<(index: Int, entry: Entry)?, Never>? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else {
                state.expired.insert(id)
                return nil
            }
            return state.waiters.remove(at: index).continuation
        }
        continuation?.resume(returning: nil)
    }
}
