import IoTHubCore
import MQTTCore
import NIOCore
import NIOPosix
import NIOSSL

/// Drives a ``GenericClientMachine`` on one event loop: opens connections, carries out the
/// machine's actions and completes the waiting operations. It decides nothing itself.
final class GenericClientCore {
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

    func disconnect() { perform(machine.disconnect(now: now)) }

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

    func transportConnected(_ channel: any Channel, raw: RawBytesHandler, connection: UInt64) {
        guard connection == connectionCount, !isShutDown else {
            channel.close(promise: nil)
            return
        }
        self.channel = channel
        self.raw = raw
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
        report(.output(line: "connection error: \(error)"))
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
        let tap = self.tap
        let monotonic = self.monotonic
        let tls: (settings: ClientTLS, context: NIOSSLContext)?
        do {
            tls = try request.tls.map { ($0, try $0.makeContext()) }
        } catch {
            perform(machine.transportFailed(reason: "TLS: \(error)", now: now))
            return
        }
        let host = request.host
        ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try tls.settings.addHandler(to: channel, context: tls.context, host: host) }
                    let raw = RawBytesHandler { bytes in bound.value.receivedBytes(bytes, connection: connection) }
                    try channel.pipeline.syncOperations.addHandler(raw)
                    try channel.pipeline.syncOperations.addHandler(MQTTCodecHandler(configuration: .init(connection: connection, tap: tap, clock: monotonic)))
                    try channel.pipeline.syncOperations.addHandler(GenericConnectionHandler(core: bound.value, raw: raw, connection: connection))
                }
            }
            .connect(host: request.host, port: request.port)
            .whenFailure { error in
                let core = bound.value
                guard connection == core.connectionCount, !core.isShutDown else { return }
                core.perform(core.machine.transportFailed(reason: "\(error)", now: core.now))
            }
    }

    private func report(_ event: DeviceEvent) {
        observer?(DeviceEventRecord(timestamp: monotonic.nanoseconds(), deviceID: deviceID, event: event))
    }
}

/// The last handler of a generic client's pipeline: passes channel events to the driver,
/// tagged with their connection.
final class GenericConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = MQTTPacket

    private let core: GenericClientCore
    private let raw: RawBytesHandler
    private let connection: UInt64

    init(core: GenericClientCore, raw: RawBytesHandler, connection: UInt64) {
        self.core = core
        self.raw = raw
        self.connection = connection
    }

    func channelActive(context: ChannelHandlerContext) {
        core.transportConnected(context.channel, raw: raw, connection: connection)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        core.received(unwrapInboundIn(data), connection: connection)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        core.transportError(error, connection: connection)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        core.transportClosed(connection: connection)
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension GenericConnectionHandler: Sendable {}
