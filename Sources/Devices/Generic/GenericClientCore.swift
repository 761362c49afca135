import IoTHubCore
import MQTTCore
import NIOCore

/// Drives a ``GenericClientMachine`` on one event loop: opens connections, carries out the
/// machine's actions and completes the waiting operations. It decides nothing itself.
final class GenericClientCore: ClientTransportDriver {
    let deviceID: DeviceID
    private var machine: GenericClientMachine
    private let loop: any EventLoop
    private let monotonic: any MonotonicClock
    private let observer: (@Sendable (DeviceEventRecord) -> Void)?
    private let tap: (any PacketTap)?
    private var channel: (any Channel)?
    private var raw: RawBytesHandler?
    private var request: ConnectRequest?
    private var promises: [GenericClientMachine.Operation: EventLoopPromise<OperationOutcome>] = [:]
    private var connectionCount: UInt64 = 0
    private var timer: Scheduled<Void>?
    private var isShutDown = false

    init(
        deviceID: DeviceID,
        settings: GenericClientSettings,
        loop: any EventLoop,
        monotonic: any MonotonicClock,
        observer: (@Sendable (DeviceEventRecord) -> Void)?,
        tap: (any PacketTap)?
    ) {
        self.deviceID = deviceID
        self.machine = GenericClientMachine(settings: settings)
        self.loop = loop
        self.monotonic = monotonic
        self.observer = observer
        self.tap = tap
    }

    private var now: UInt64 { monotonic.nanoseconds() }

    // MARK: Operations

    /// Starts `operation` unless one of its kind is still waiting.
    func start(_ operation: GenericClientMachine.Operation, promise: EventLoopPromise<OperationOutcome>, _ event: (inout GenericClientMachine, UInt64) -> [GenericClientMachine.Action]) {
        guard promises[operation] == nil else {
            promise.succeed(.connectionEnded(reason: "a \(operation) is already in progress"))
            return
        }
        promises[operation] = promise
        perform(event(&machine, now))
    }

    func connect(_ request: ConnectRequest, promise: EventLoopPromise<OperationOutcome>) {
        if !machine.isTransportOpen { self.request = request }
        let packet = ConnectPacket(
            clientID: request.clientID,
            cleanSession: request.cleanSession,
            keepAlive: request.keepAlive,
            username: request.username,
            password: request.password.map { ByteBuffer(string: $0) }
        )
        start(.connect, promise: promise) { $0.connect(packet, now: $1) }
    }

    func sendBytes(_ bytes: ByteBuffer, opening request: ConnectRequest, promise: EventLoopPromise<OperationOutcome>) {
        if !machine.isTransportOpen { self.request = request }
        start(.sendBytes, promise: promise) { $0.sendBytes(bytes, now: $1) }
    }

    func restart() {
        timer?.cancel()
        timer = nil
        perform(machine.restart(now: now))
        // Events of the dropped connection belong to the old run.
        connectionCount += 1
        channel = nil
        raw = nil
    }

    func shutdown() {
        isShutDown = true
        timer?.cancel()
        timer = nil
        connectionCount += 1
        channel?.close(promise: nil)
        channel = nil
        raw = nil
        for promise in promises.values { promise.succeed(.connectionEnded(reason: "the device was shut down")) }
        promises = [:]
    }

    // MARK: Network events

    func transportConnected(_ channel: any Channel, connection: UInt64) {
        guard connection == connectionCount, !isShutDown else {
            channel.close(promise: nil)
            return
        }
        self.channel = channel
        // The raw-bytes handler this connection's pipeline was built with (send_bytes writes
        // past the codec through it).
        self.raw = try? channel.pipeline.syncOperations.handler(type: RawBytesHandler.self)
        perform(machine.transportConnected(now: now))
    }

    func received(_ packet: MQTTPacket, connection: UInt64) {
        guard connection == connectionCount else { return }
        perform(machine.packetReceived(packet, now: now))
    }

    func receivedBytes(_ bytes: ByteBuffer, connection: UInt64) {
        guard connection == connectionCount else { return }
        report(.bytesReceived(bytes))
    }

    func transportError(_ error: any Error, connection: UInt64) {
        guard connection == connectionCount else { return }
        if let malformed = error as? MQTTDecodingError {
            // The broker broke the protocol; the machine says so and closes the connection.
            perform(machine.malformedPacketReceived(malformed.description, now: now))
            return
        }
        report(.output(line: "connection error: \(error)"))
    }

    func transportFailed(reason: String, connection: UInt64) {
        guard connection == connectionCount, !isShutDown else { return }
        perform(machine.transportFailed(reason: reason, now: now))
    }

    func transportClosed(connection: UInt64) {
        guard connection == connectionCount, !isShutDown else { return }
        channel = nil
        raw = nil
        timer?.cancel()
        timer = nil
        perform(machine.transportClosed(now: now))
    }

    // MARK: Actions

    private func perform(_ actions: [GenericClientMachine.Action]) {
        for action in actions {
            switch action {
            case .openTransport:
                openTransport()
            case .send(let packet):
                channel?.writeAndFlush(packet, promise: nil)
            case .sendBytes(let bytes):
                raw?.writeRaw(bytes)
            case .closeTransport:
                channel?.close(promise: nil)
            case .report(let event):
                report(event)
            case .complete(let operation, let outcome):
                promises.removeValue(forKey: operation)?.succeed(outcome)
            case .scheduleTick(let at):
                scheduleTick(at: at)
            }
        }
    }

    private func scheduleTick(at deadline: UInt64) {
        timer?.cancel()
        let current = now
        let delay = deadline > current ? Int64(deadline - current) : 0
        let bound = NIOLoopBound(self, eventLoop: loop)
        timer = loop.scheduleTask(in: .nanoseconds(delay)) {
            let core = bound.value
            core.timer = nil
            guard !core.isShutDown else { return }
            core.perform(core.machine.tick(now: core.now))
        }
    }

    private func openTransport() {
        guard let request else {
            perform(machine.transportFailed(reason: "internal: no connection request", now: now))
            return
        }
        connectionCount += 1
        let connection = connectionCount
        report(.connecting(host: request.host, port: request.port))
        let bound = NIOLoopBound(self, eventLoop: loop)
        ClientTransport.openMQTT(request, on: loop, connection: connection, driver: bound, tap: tap, clock: monotonic) { channel in
            // Raw bytes (`send_bytes`) are written past the codec through this handler.
            try channel.pipeline.syncOperations.addHandler(RawBytesHandler { bytes in bound.value.receivedBytes(bytes, connection: connection) })
        }
    }

    private func report(_ event: DeviceEvent) {
        observer?(DeviceEventRecord(timestamp: monotonic.nanoseconds(), deviceID: deviceID, event: event))
    }
}
