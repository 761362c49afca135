import IoTHubCore
import MQTTCore
import NIOCore
import NIOPosix

/// Drives a simulated device's ``ClientStateMachine`` on its event loop: opens the
/// connection, carries out actions, runs the firmware callback, and completes the pending
/// async operations.
final class SimulatedDeviceCore {
    let deviceID: DeviceID
    private var machine: ClientStateMachine
    private var firmware = LEDFirmware()
    private let loop: any EventLoop
    private let monotonic: any MonotonicClock
    private let observer: (@Sendable (DeviceEventRecord) -> Void)?
    private let tap: (any PacketTap)?
    private var channel: (any Channel)?
    private var connectPromise: EventLoopPromise<OperationOutcome>?
    private var subscribePromise: EventLoopPromise<OperationOutcome>?
    private var unsubscribePromise: EventLoopPromise<OperationOutcome>?
    private var publishPromise: EventLoopPromise<OperationOutcome>?
    private var request: ConnectRequest?
    private var connectionCount: UInt64 = 0
    /// Set by ``shutdown()``: the harness is tearing the device down, which is not a failure
    /// the device should report.
    private var isShutDown = false

    init(
        deviceID: DeviceID,
        profile: DeviceProfile,
        loop: any EventLoop,
        monotonic: any MonotonicClock,
        observer: (@Sendable (DeviceEventRecord) -> Void)?,
        tap: (any PacketTap)?
    ) {
        self.deviceID = deviceID
        self.machine = ClientStateMachine(profile: profile)
        self.loop = loop
        self.monotonic = monotonic
        self.observer = observer
        self.tap = tap
    }

    var isLEDOn: Bool { firmware.isOn }

    // MARK: Operations

    func connect(_ request: ConnectRequest, promise: EventLoopPromise<OperationOutcome>) {
        guard connectPromise == nil else {
            promise.succeed(.connectionEnded(reason: "a connect is already in progress"))
            return
        }
        self.request = request
        connectPromise = promise
        let packet = ConnectPacket(
            clientID: request.clientID,
            cleanSession: request.cleanSession,
            keepAlive: request.keepAlive,
            username: request.username,
            password: request.password.map { ByteBuffer(string: $0) }
        )
        perform(machine.connect(packet))
    }

    func subscribe(to filter: TopicFilter, qos: MQTTQoS, promise: EventLoopPromise<OperationOutcome>) {
        guard subscribePromise == nil else {
            promise.succeed(.connectionEnded(reason: "a subscribe is already in progress"))
            return
        }
        subscribePromise = promise
        perform(machine.subscribe(to: filter, qos: qos))
    }

    func unsubscribe(from filter: TopicFilter, promise: EventLoopPromise<OperationOutcome>) {
        guard unsubscribePromise == nil else {
            promise.succeed(.connectionEnded(reason: "an unsubscribe is already in progress"))
            return
        }
        unsubscribePromise = promise
        perform(machine.unsubscribe(from: filter))
    }

    func publish(_ topic: TopicName, payload: ByteBuffer, qos: MQTTQoS, retain: Bool, promise: EventLoopPromise<OperationOutcome>) {
        guard publishPromise == nil else {
            promise.succeed(.connectionEnded(reason: "a publish is already in progress"))
            return
        }
        publishPromise = promise
        perform(machine.publish(topic, payload: payload, qos: qos, retain: retain))
    }

    func restart() {
        let closing = channel
        channel = nil
        perform(machine.restart())
        closing?.close(promise: nil)
        let wasOn = firmware.isOn
        firmware = LEDFirmware()
        if wasOn { report(.led(isOn: false, changed: true)) }
    }

    func disconnect() {
        perform(machine.disconnect())
    }

    func shutdown() {
        isShutDown = true
        channel?.close(promise: nil)
        channel = nil
        connectPromise?.succeed(.connectionEnded(reason: "the device was shut down"))
        connectPromise = nil
        for promise in [subscribePromise, unsubscribePromise, publishPromise] {
            promise?.succeed(.connectionEnded(reason: "the device was shut down"))
        }
        subscribePromise = nil
        unsubscribePromise = nil
        publishPromise = nil
    }

    // MARK: Network events

    func transportConnected(_ channel: any Channel) {
        self.channel = channel
        perform(machine.transportConnected())
    }

    func received(_ packet: MQTTPacket) {
        perform(machine.packetReceived(packet))
    }

    func transportError(_ error: any Error) {
        report(.disconnected(reason: "\(error)"))
    }

    func transportClosed(_ closed: any Channel) {
        // A restart already dropped this channel and reset the program.
        guard channel === closed || channel == nil, !isShutDown else { return }
        guard channel != nil else { return }
        channel = nil
        perform(machine.transportClosed())
    }

    // MARK: Actions

    private func perform(_ actions: [ClientStateMachine.Action]) {
        for action in actions {
            switch action {
            case .openTransport:
                openTransport()
            case .send(let packet):
                channel?.writeAndFlush(packet, promise: nil)
            case .closeTransport:
                channel?.close(promise: nil)
            case .deliver(let topic, let payload):
                let (isOn, changed) = firmware.handleMessage(topic: topic, payload: payload)
                report(.led(isOn: isOn, changed: changed))
            case .report(let event):
                report(event)
            case .completeConnect(let outcome):
                connectPromise?.succeed(outcome)
                connectPromise = nil
            case .completeSubscribe(let outcome):
                subscribePromise?.succeed(outcome)
                subscribePromise = nil
            case .completeUnsubscribe(let outcome):
                unsubscribePromise?.succeed(outcome)
                unsubscribePromise = nil
            case .completePublish(let outcome):
                publishPromise?.succeed(outcome)
                publishPromise = nil
            }
        }
    }

    private func openTransport() {
        guard let request else { return }
        connectionCount += 1
        let connection = connectionCount
        report(.connecting(host: request.host, port: request.port))
        let bound = NIOLoopBound(self, eventLoop: loop)
        let tap = self.tap
        let monotonic = self.monotonic
        ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let codec = MQTTCodecHandler(configuration: .init(connection: connection, tap: tap, clock: monotonic))
                    try channel.pipeline.syncOperations.addHandler(codec)
                    try channel.pipeline.syncOperations.addHandler(ClientConnectionHandler(core: bound.value))
                }
            }
            .connect(host: request.host, port: request.port)
            .whenFailure { error in
                bound.value.perform(bound.value.machine.transportFailed(reason: "\(error)"))
            }
    }

    private func report(_ event: DeviceEvent) {
        observer?(DeviceEventRecord(timestamp: monotonic.nanoseconds(), deviceID: deviceID, event: event))
    }
}
