import CHeap
import IoTHubCore
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import NIOPosix

/// One event the hub reports, stamped on the run's monotonic clock.
public struct HubEventRecord: Sendable, Hashable {
    /// Monotonic nanoseconds (the same clock as packet records).
    public var timestamp: UInt64
    public var event: HubEvent

    public init(timestamp: UInt64, event: HubEvent) {
        self.timestamp = timestamp
        self.event = event
    }
}

/// Drives the ``HubStateMachine`` on the hub's event loop: feeds it events, carries out its
/// actions on the connections' channels, and keeps one timer for its next deadline.
///
/// Confined to the hub's event loop, so no locks are needed. Connections live on that loop too,
/// or on one other loop (``SimulatedHub/ConnectionPlacement/separateLoop``); either way each
/// connection's writes are carried out in the order the machine returned them.
final class HubDriver {
    private var machine: HubStateMachine
    private let loop: any EventLoop
    private let clock: HubClock
    private let monotonic: any MonotonicClock
    private let observer: (@Sendable (HubEventRecord) -> Void)?
    private var channels: [ConnectionID: any Channel] = [:]
    private var pendingWrites: [ConnectionID: EventLoopFuture<Void>] = [:]
    private var timer: (deadline: HubTime, task: Scheduled<Void>)?
    private var methodPromises: [UInt64: EventLoopPromise<DirectMethodResult>] = [:]
    private var lastInvocation: UInt64 = 0
    private var messageIDs = MessageIDGenerator()
    private var memory = MemoryReturnPolicy()
    private var memoryReturn: Scheduled<Void>?

    init(
        machine: HubStateMachine,
        loop: any EventLoop,
        clock: HubClock,
        monotonic: any MonotonicClock,
        observer: (@Sendable (HubEventRecord) -> Void)?
    ) {
        self.machine = machine
        self.loop = loop
        self.clock = clock
        self.monotonic = monotonic
        self.observer = observer
    }

    var configuration: HubConfiguration { machine.configuration }
    var connectionCount: Int { channels.count }

    /// A fresh C2D message id (a version-4 UUID).
    func makeMessageID() -> String { messageIDs.make() }

    // MARK: Events in

    func opened(_ connection: ConnectionID, channel: any Channel) {
        channels[connection] = channel
        memory.opened(open: channels.count)
        perform(machine.connectionOpened(connection, at: clock.now()))
    }

    func received(_ packet: MQTTPacket, on connection: ConnectionID) {
        perform(machine.packetReceived(packet, on: connection, at: clock.now()))
    }

    /// The connection's TLS handshake presented a client certificate chain (DER, leaf first).
    func presented(_ chain: [[UInt8]], on connection: ConnectionID) {
        machine.clientCertificatePresented(chain, on: connection)
    }

    /// The connection's TLS handshake failed; `reason` is the hub's words for it.
    func tlsFailed(_ connection: ConnectionID, reason: String) {
        perform(machine.tlsFailed(connection, reason: reason, at: clock.now()))
    }

    func webSocketFailed(_ connection: ConnectionID, reason: String) {
        perform(machine.webSocketFailed(connection, reason: reason, at: clock.now()))
    }

    func malformed(_ error: MQTTDecodingError, on connection: ConnectionID) {
        perform(machine.malformedInput(error, on: connection, at: clock.now()))
    }

    func closed(_ connection: ConnectionID) {
        channels[connection] = nil
        pendingWrites[connection] = nil
        perform(machine.connectionClosed(connection, at: clock.now()))
        memory.closed()
        if memory.isWatching { scheduleMemoryCheck() }
    }

    /// Checks every second, while a burst of connections is being watched, whether it has
    /// closed down far enough to give its memory back (``MemoryReturnPolicy``).
    private func scheduleMemoryCheck() {
        guard memoryReturn == nil else { return }
        memoryReturn = loop.assumeIsolated().scheduleTask(in: .seconds(1)) { [weak self] () -> Void in
            guard let self else { return }
            self.memoryReturn = nil
            switch self.memory.check(open: self.channels.count) {
            case .returnMemory:
                harness_heap_return_free_memory()
            case .wait:
                self.scheduleMemoryCheck()
            case .stop:
                break
            }
        }
    }

    /// Enqueues a C2D message; a refusal is reported as a `cloudToDeviceRejected` event (so
    /// traces and the hub's log show it) and thrown.
    func enqueue(_ message: CloudToDeviceMessage, for deviceID: DeviceID, messageID: String) throws(CloudToDeviceError) {
        let actions: [HubStateMachine.Action]
        do {
            actions = try machine.enqueue(message, for: deviceID, messageID: messageID, at: clock.now())
        } catch {
            emit(.cloudToDeviceRejected(deviceID, reason: error.descriptionWithCode))
            throw error
        }
        perform(actions)
    }

    func purgeQueue(of deviceID: DeviceID) -> Int {
        let (count, actions) = machine.purgeQueue(of: deviceID)
        perform(actions)
        return count
    }

    func register(_ device: DeviceRecord) { perform(machine.upsert(device, at: clock.now())) }

    /// Starts a direct method call; the future completes when the machine ends it.
    func invokeMethod(_ request: DirectMethodRequest, on deviceID: DeviceID) -> EventLoopFuture<DirectMethodResult> {
        lastInvocation += 1
        let promise = loop.makePromise(of: DirectMethodResult.self)
        methodPromises[lastInvocation] = promise
        perform(machine.invokeMethod(request, on: deviceID, invocation: lastInvocation, at: clock.now()))
        return promise.futureResult
    }

    /// Runs a machine operation that returns a value and actions, carries out the actions and
    /// returns the value.
    func apply<Value>(_ operation: (inout HubStateMachine, HubTime) -> (Value, [HubStateMachine.Action])) -> Value {
        let (value, actions) = operation(&machine, clock.now())
        perform(actions)
        return value
    }

    /// Reads the machine.
    func read<Value>(_ query: (HubStateMachine) -> Value) -> Value { query(machine) }
    func register(_ policy: AccessPolicy) { machine.register(policy) }
    func device(_ id: DeviceID) -> DeviceRecord? { machine.registry[id] }
    func isConnected(_ id: DeviceID) -> Bool { machine.isConnected(id) }
    func queueDepth(of id: DeviceID) -> Int { machine.queueDepth(of: id) }

    /// Starts a hub fault (see ``HubStateMachine/startFault(_:device:duration:at:)``).
    func startFault(_ fault: HubFault, device: DeviceID?, duration: Duration?) {
        perform(machine.startFault(fault, device: device, duration: duration, at: clock.now()))
    }

    /// Ends a hub fault; `false` when none of that kind and scope was in force or waiting.
    func endFault(_ fault: HubFault, device: DeviceID?) -> Bool {
        let (ended, actions) = machine.endFault(fault, device: device, at: clock.now())
        perform(actions)
        return ended
    }

    /// The throttle fault that refuses a service request, reported; `nil` when it may go ahead.
    func throttle(_ route: ServiceRoute) -> HubFaultActivation? {
        let (activation, actions) = machine.throttleServiceRequest(for: route.deviceID, operation: route.operationName, at: clock.now())
        perform(actions)
        return activation
    }

    /// The clock jumped: report it and act on every deadline now due.
    func clockAdvanced(by duration: Duration) {
        emit(.clockAdvanced(by: duration))
        timer?.task.cancel()
        timer = nil
        perform(machine.tick(at: clock.now()))
    }

    /// Closes every connection (the hub is stopping).
    func closeAll() {
        timer?.task.cancel()
        timer = nil
        memoryReturn?.cancel()
        memoryReturn = nil
        for (_, promise) in methodPromises { promise.succeed(.deviceNotOnline) }
        methodPromises.removeAll()
        for (_, channel) in channels.sorted(by: { $0.key < $1.key }) { channel.close(promise: nil) }
    }

    // MARK: Actions out

    private func perform(_ actions: [HubStateMachine.Action]) {
        // Connections on the hub's loop are written at once and flushed once at the end. For a
        // connection on another loop the packets are collected and handed over in one task,
        // not one per write and flush.
        var toFlush: [ConnectionID] = []
        var handOver: [(connection: ConnectionID, packets: [MQTTPacket])] = []
        // Only writes followed by a close in the same batch need a future (the close waits for
        // them); every other write goes without a promise, which saves an allocation each.
        var closing: [ConnectionID] = []
        for action in actions { if case .close(let connection) = action { closing.append(connection) } }
        for action in actions {
            switch action {
            case .send(let packet, let connection):
                guard let channel = channels[connection] else { continue }
                if closing.contains(connection) {
                    pendingWrites[connection] = channel.write(packet)
                    if !toFlush.contains(connection) { toFlush.append(connection) }
                } else if channel.eventLoop.inEventLoop {
                    channel.write(packet, promise: nil)
                    if !toFlush.contains(connection) { toFlush.append(connection) }
                } else if let index = handOver.firstIndex(where: { $0.connection == connection }) {
                    handOver[index].packets.append(packet)
                } else {
                    handOver.append((connection, [packet]))
                }
            case .reset(let connection):
                guard let channel = channels.removeValue(forKey: connection) else { continue }
                toFlush.removeAll { $0 == connection }
                pendingWrites[connection] = nil
                // SO_LINGER 0: the close sends RST, as a killed TCP connection.
                let lingering = (channel as? any SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0))
                if let lingering {
                    lingering.whenComplete { _ in channel.close(promise: nil) }
                } else {
                    channel.close(promise: nil)
                }
            case .close(let connection):
                guard let channel = channels.removeValue(forKey: connection) else { continue }
                toFlush.removeAll { $0 == connection }
                if let pending = pendingWrites.removeValue(forKey: connection) {
                    channel.flush()
                    pending.whenComplete { _ in channel.close(promise: nil) }
                } else {
                    channel.close(promise: nil)
                }
            case .emit(let event):
                emit(event)
            case .wakeUp(let deadline):
                schedule(at: deadline)
            case .completeMethod(let invocation, let result):
                methodPromises.removeValue(forKey: invocation)?.succeed(result)
            }
        }
        for connection in toFlush {
            channels[connection]?.flush()
            pendingWrites[connection] = nil
        }
        for (connection, packets) in handOver {
            guard let channel = channels[connection] else { continue }
            channel.eventLoop.execute {
                for packet in packets { channel.write(packet, promise: nil) }
                channel.flush()
            }
        }
    }

    private func emit(_ event: HubEvent) {
        observer?(HubEventRecord(timestamp: monotonic.nanoseconds(), event: event))
    }

    private func schedule(at deadline: HubTime) {
        if let timer, timer.deadline <= deadline { return }
        timer?.task.cancel()
        let delay = max(.zero, deadline - clock.now())
        let task = loop.assumeIsolated().scheduleTask(in: .nanoseconds(delay.nanoseconds)) { [weak self] () -> Void in
            guard let self else { return }
            self.timerFired()
        }
        timer = (deadline, task)
    }

    private func timerFired() {
        timer = nil
        perform(machine.tick(at: clock.now()))
    }
}
