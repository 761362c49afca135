import IoTHubCore
import MQTTCore
import NIOCore

/// Drives a simulated device's ``ClientStateMachine`` on its event loop: opens the
/// connection, carries out actions (timers and token requests included), runs the firmware
/// callback, and completes the pending async operations. It decides nothing itself.
final class SimulatedDeviceCore: ClientTransportDriver {
    let deviceID: DeviceID
    private let profile: DeviceProfile
    private let settings: ClientSettings
    private var machine: ClientStateMachine
    private var firmware = LEDFirmware()
    private let loop: any EventLoop
    private let monotonic: any MonotonicClock
    private let wallClock: any WallClock
    private let tokenSource: (any TokenSource)?
    private let observer: (@Sendable (DeviceEventRecord) -> Void)?
    private let tap: (any PacketTap)?
    private var channel: (any Channel)?
    private var connectPromise: EventLoopPromise<OperationOutcome>?
    private var subscribePromise: EventLoopPromise<OperationOutcome>?
    private var unsubscribePromise: EventLoopPromise<OperationOutcome>?
    private var publishPromise: EventLoopPromise<OperationOutcome>?
    private var request: ConnectRequest?
    private var connectionCount: UInt64 = 0
    private var timer: Scheduled<Void>?
    /// Bumped by ``restart()``: token answers for an older generation are dropped.
    private var generation = 0
    /// Set by ``shutdown()``: the harness is tearing the device down, which is not a failure
    /// the device should report.
    private var isShutDown = false

    /// The longest the driver sleeps before asking the machine again, so a jump of the wall
    /// clock (a scenario's `advance_clock`) is noticed soon.
    static let longestTimerSleep: Int64 = 250_000_000

    init(
        deviceID: DeviceID,
        profile: DeviceProfile,
        settings: ClientSettings,
        loop: any EventLoop,
        monotonic: any MonotonicClock,
        wallClock: any WallClock,
        tokenSource: (any TokenSource)?,
        observer: (@Sendable (DeviceEventRecord) -> Void)?,
        tap: (any PacketTap)?
    ) {
        self.deviceID = deviceID
        self.profile = profile
        var settings = settings
        settings.usesTokenSource = tokenSource != nil
        self.settings = settings
        self.machine = ClientStateMachine(profile: profile, settings: settings)
        self.loop = loop
        self.monotonic = monotonic
        self.wallClock = wallClock
        self.tokenSource = tokenSource
        self.observer = observer
        self.tap = tap
    }

    var isLEDOn: Bool { firmware.isOn }
    private var now: Int64 { wallClock.unixNanoseconds() }

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
        perform(machine.connect(packet, now: now))
    }

    func subscribe(to filter: TopicFilter, qos: MQTTQoS, promise: EventLoopPromise<OperationOutcome>) {
        guard subscribePromise == nil else {
            promise.succeed(.connectionEnded(reason: "a subscribe is already in progress"))
            return
        }
        subscribePromise = promise
        perform(machine.subscribe(to: filter, qos: qos, now: now))
    }

    func unsubscribe(from filter: TopicFilter, promise: EventLoopPromise<OperationOutcome>) {
        guard unsubscribePromise == nil else {
            promise.succeed(.connectionEnded(reason: "an unsubscribe is already in progress"))
            return
        }
        unsubscribePromise = promise
        perform(machine.unsubscribe(from: filter, now: now))
    }

    func publish(_ topic: TopicName, payload: ByteBuffer, qos: MQTTQoS, retain: Bool, promise: EventLoopPromise<OperationOutcome>) {
        guard publishPromise == nil else {
            promise.succeed(.connectionEnded(reason: "a publish is already in progress"))
            return
        }
        publishPromise = promise
        perform(machine.publish(topic, payload: payload, qos: qos, retain: retain, now: now))
    }

    func disconnect() {
        perform(machine.disconnect(now: now))
    }

    /// Power-cycles the device: the connection drops without DISCONNECT, the program and the
    /// LED start over. The harness connects it again with its next connect.
    func restart() {
        timer?.cancel()
        timer = nil
        generation += 1
        perform(machine.restart(now: now))
        // Events of the dropped connection belong to the old program run.
        connectionCount += 1
        channel = nil
        let wasOn = firmware.isOn
        firmware = LEDFirmware()
        if wasOn { report(.led(isOn: false, changed: true)) }
    }

    func shutdown() {
        isShutDown = true
        endConnection(reason: "the device was shut down")
    }

    private func endConnection(reason: String) {
        timer?.cancel()
        timer = nil
        connectionCount += 1
        channel?.close(promise: nil)
        channel = nil
        connectPromise?.succeed(.connectionEnded(reason: reason))
        connectPromise = nil
        for promise in [subscribePromise, unsubscribePromise, publishPromise] {
            promise?.succeed(.connectionEnded(reason: reason))
        }
        subscribePromise = nil
        unsubscribePromise = nil
        publishPromise = nil
    }

    // MARK: Network events

    func transportConnected(_ channel: any Channel, connection: UInt64) {
        guard connection == connectionCount, !isShutDown else {
            channel.close(promise: nil)
            return
        }
        self.channel = channel
        perform(machine.transportConnected(now: now))
    }

    func received(_ packet: MQTTPacket, connection: UInt64) {
        guard connection == connectionCount else { return }
        perform(machine.packetReceived(packet, now: now))
    }

    func transportError(_ error: any Error, connection: UInt64) {
        guard connection == connectionCount else { return }
        report(.disconnected(reason: "\(error)"))
    }

    func transportFailed(reason: String, connection: UInt64) {
        guard connection == connectionCount, !isShutDown else { return }
        perform(machine.transportFailed(reason: reason, now: now))
    }

    func transportClosed(connection: UInt64) {
        guard connection == connectionCount else { return }
        channel = nil
        guard !isShutDown else { return }
        perform(machine.transportClosed(now: now))
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
            case .fetchToken:
                fetchToken()
            case .scheduleTick(let at):
                scheduleTick(at: at)
            }
        }
    }

    private func scheduleTick(at deadline: Int64) {
        timer?.cancel()
        let delay = min(max(0, deadline - now), Self.longestTimerSleep)
        let bound = NIOLoopBound(self, eventLoop: loop)
        timer = loop.scheduleTask(in: .nanoseconds(delay)) {
            let core = bound.value
            core.timer = nil
            guard !core.isShutDown else { return }
            core.perform(core.machine.tick(now: core.now))
        }
    }

    private func fetchToken() {
        guard let tokenSource else {
            perform(machine.tokenFailed(reason: "the device has no token source", now: now))
            return
        }
        let bound = NIOLoopBound(self, eventLoop: loop)
        let loop = self.loop
        let generation = self.generation
        Task {
            let result: Result<DeviceToken, any Error>
            do {
                result = .success(try await tokenSource.token())
            } catch {
                result = .failure(error)
            }
            loop.execute {
                let core = bound.value
                guard core.generation == generation, !core.isShutDown else { return }
                switch result {
                case .success(let token):
                    core.perform(core.machine.tokenReceived(token, now: core.now))
                case .failure(let error):
                    core.perform(core.machine.tokenFailed(reason: "\(error)", now: core.now))
                }
            }
        }
    }

    private func openTransport() {
        guard let request else { return }
        connectionCount += 1
        let connection = connectionCount
        report(.connecting(host: request.host, port: request.port))
        ClientTransport.openMQTT(request, on: loop, connection: connection, driver: NIOLoopBound(self, eventLoop: loop), tap: tap, clock: monotonic)
    }

    private func report(_ event: DeviceEvent) {
        observer?(DeviceEventRecord(timestamp: monotonic.nanoseconds(), deviceID: deviceID, event: event))
    }
}
