import IoTHubCore
import MQTTCore
import Synchronization

/// Watches the output of a firmware that runs outside the harness (a process or a board):
/// stamps and reports every line as device events and tapped packets, keeps the tail of the
/// output, and lets the device's operations wait for what the firmware does on its own
/// (connect, subscribe) or for its end.
final class FirmwareMonitor: Sendable {
    private struct Waiter {
        var id: UInt64
        var kind: WaitKind
        var continuation: CheckedContinuation<OperationOutcome, Never>
    }

    private enum WaitKind {
        case connection(needsReady: Bool)
        case subscription(TopicFilter, MQTTQoS)
    }

    private struct State {
        var interpreter: FirmwareOutputInterpreter
        var tail: [String] = []
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        /// Set once the current run connected (CONNACK 0 seen or `connected` reported).
        var connectedInRun = false
        /// Set once the current run was refused (CONNACK other than 0).
        var refusedInRun = false
        /// Set once the current run reported `ready`.
        var readyInRun = false
        /// SUBSCRIBE packet ids the firmware sent in this run, with their filters.
        var sentSubscriptions: [UInt16: [SubscribePacket.Subscription]] = [:]
        /// Filters SUBACKed in this run, with the QoS the firmware asked for.
        var acknowledged: [TopicFilter: MQTTQoS] = [:]
        /// Why the current run ended, if it has.
        var ended: String?
        var isRunning = false
    }

    let deviceID: DeviceID
    /// Whether a connect waits for the firmware's `ready` report, not only for CONNACK.
    private let waitsForReady: Bool
    private let monotonic: any MonotonicClock
    private let observer: (@Sendable (DeviceEventRecord) -> Void)?
    private let tap: (any PacketTap)?
    private let state: Mutex<State>
    /// Lines kept for ``tail(_:)``.
    static let tailLimit = 500

    init(
        deviceID: DeviceID,
        configuration: FirmwareOutputConfiguration,
        monotonic: any MonotonicClock,
        observer: (@Sendable (DeviceEventRecord) -> Void)?,
        tap: (any PacketTap)?
    ) {
        self.deviceID = deviceID
        self.waitsForReady = configuration.patterns.ready != nil
        self.monotonic = monotonic
        self.observer = observer
        self.tap = tap
        self.state = Mutex(State(interpreter: FirmwareOutputInterpreter(configuration: configuration)))
    }

    /// A new run of the firmware starts (the process started, the board began running it).
    func begin(host: String, port: Int, secrets: [String]) {
        state.withLock { state in
            state.interpreter.host = host
            state.interpreter.port = port
            state.interpreter.secrets = secrets.filter { !$0.isEmpty }
            state.connectedInRun = false
            state.refusedInRun = false
            state.readyInRun = false
            state.sentSubscriptions = [:]
            state.acknowledged = [:]
            state.ended = nil
            state.isRunning = true
        }
    }

    /// Whether the firmware runs now.
    var isRunning: Bool { state.withLock { $0.isRunning } }

    /// Why the last run ended, if it has.
    var endReason: String? { state.withLock { $0.ended } }

    /// `text` with the run's secrets masked.
    func masked(_ text: String) -> String { state.withLock { $0.interpreter.masked(text) } }

    /// The last `count` output lines (secrets masked, MQTT tap lines summarised).
    func tail(_ count: Int) -> [String] {
        state.withLock { Array($0.tail.suffix(max(0, count))) }
    }

    /// One line of output, read now.
    func consume(line: String) {
        let time = monotonic.nanoseconds()
        let (interpretation, ready) = state.withLock { state -> (FirmwareOutputInterpreter.Interpretation, [(CheckedContinuation<OperationOutcome, Never>, OperationOutcome)]) in
            let interpretation = state.interpreter.interpret(line)
            for event in interpretation.events {
                if case .output(let text) = event {
                    state.tail.append(text)
                    if state.tail.count > Self.tailLimit { state.tail.removeFirst(state.tail.count - Self.tailLimit) }
                }
            }
            for decoded in interpretation.packets {
                switch (decoded.direction, decoded.packet) {
                case (.outbound, .subscribe(let subscribe)):
                    state.sentSubscriptions[subscribe.packetID] = subscribe.subscriptions
                case (.inbound, .suback(let suback)):
                    for subscription in state.sentSubscriptions[suback.packetID] ?? [] {
                        state.acknowledged[subscription.filter] = subscription.qos
                    }
                default:
                    break
                }
            }
            for event in interpretation.events {
                switch event {
                case .connAckReceived(let connack) where connack.returnCode != .accepted: state.refusedInRun = true
                case .connAckReceived, .stateReported("connected"): state.connectedInRun = true
                case .stateReported("ready"): state.readyInRun = true
                default: break
                }
            }
            return (interpretation, Self.takeReady(&state))
        }
        for decoded in interpretation.packets {
            tap?.record(PacketRecord(timestamp: time, connection: interpretation.connection, direction: decoded.direction, packet: decoded.packet, size: decoded.size, bytes: decoded.bytes))
        }
        for event in interpretation.events { report(event, at: time) }
        for (continuation, outcome) in ready { continuation.resume(returning: outcome) }
    }

    /// The run ended; `reason` says how. Reported as a crash unless `expected`.
    func end(reason: String, expected: Bool) {
        let time = monotonic.nanoseconds()
        let ready = state.withLock { state -> [(CheckedContinuation<OperationOutcome, Never>, OperationOutcome)] in
            state.isRunning = false
            state.ended = reason
            return Self.takeReady(&state)
        }
        if !expected { report(.crashed(reason: reason), at: time) }
        for (continuation, outcome) in ready { continuation.resume(returning: outcome) }
    }

    /// The device was power-cycled: reports `restarted` and, when the LED was on, that it is
    /// off again.
    func powerCycled() {
        let time = monotonic.nanoseconds()
        let ledEvent = state.withLock { $0.interpreter.powerCycled() }
        report(.restarted, at: time)
        if let ledEvent { report(ledEvent, at: time) }
    }

    /// Reports an event that did not come from an output line.
    func report(_ event: DeviceEvent) {
        report(event, at: monotonic.nanoseconds())
    }

    /// Waits until the firmware connected in the current run (or returns at once if it has),
    /// and reported `ready` when the output configuration names a ready line; a refused
    /// CONNACK or the end of the run also ends the wait.
    func waitForConnection() async -> OperationOutcome {
        await wait(for: .connection(needsReady: waitsForReady))
    }

    /// Waits until the firmware's SUBSCRIBE to `filter` was acknowledged in the current run.
    func waitForSubscription(to filter: TopicFilter, qos: MQTTQoS) async -> OperationOutcome {
        await wait(for: .subscription(filter, qos))
    }

    private func wait(for kind: WaitKind) async -> OperationOutcome {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let outcome = state.withLock { state -> OperationOutcome? in
                    if Task.isCancelled { return .connectionEnded(reason: "the wait was cancelled") }
                    if let outcome = Self.outcome(of: kind, in: state) { return outcome }
                    state.waiters.append(Waiter(id: id, kind: kind, continuation: continuation))
                    return nil
                }
                if let outcome { continuation.resume(returning: outcome) }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<OperationOutcome, Never>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            continuation?.resume(returning: .connectionEnded(reason: "the wait was cancelled"))
        }
    }

    private static func outcome(of kind: WaitKind, in state: State) -> OperationOutcome? {
        switch kind {
        case .connection(let needsReady):
            if state.refusedInRun || (needsReady ? state.readyInRun : state.connectedInRun) { return .answered }
        case .subscription(let filter, let qos):
            if let granted = state.acknowledged[filter] {
                if granted == qos { return .answered }
                return .connectionEnded(reason: "the firmware subscribed to \(filter) at QoS \(granted.rawValue), not \(qos.rawValue)")
            }
        }
        if let ended = state.ended { return .connectionEnded(reason: ended) }
        return nil
    }

    private static func takeReady(_ state: inout State) -> [(CheckedContinuation<OperationOutcome, Never>, OperationOutcome)] {
        var ready: [(CheckedContinuation<OperationOutcome, Never>, OperationOutcome)] = []
        let snapshot = state
        state.waiters.removeAll { waiter in
            guard let outcome = outcome(of: waiter.kind, in: snapshot) else { return false }
            ready.append((waiter.continuation, outcome))
            return true
        }
        return ready
    }

    private func report(_ event: DeviceEvent, at time: UInt64) {
        observer?(DeviceEventRecord(timestamp: time, deviceID: deviceID, event: event))
    }
}
