import MQTTCore
import NIOCore
import NIOPosix

/// The harness's own MQTT connection to a real broker: it plays the cloud side of a scenario
/// (publishes C2D messages to a device's topic, watches telemetry). Driven by
/// ``CloudClientStateMachine`` on one event loop.
public final class CloudClient: Sendable {
    /// Where and how to connect.
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        public var clientID: String
        public var username: String?
        /// Secret.
        public var password: String?
        /// Seconds; the client pings at half this interval. Default: 60.
        public var keepAlive: UInt16
        /// Adds the transport's handlers (for example TLS) in front of the codec. Default: none.
        public var prepareChannel: (@Sendable (any Channel) throws -> Void)?

        public init(
            host: String,
            port: Int,
            clientID: String,
            username: String? = nil,
            password: String? = nil,
            keepAlive: UInt16 = 60,
            prepareChannel: (@Sendable (any Channel) throws -> Void)? = nil
        ) {
            self.host = host
            self.port = port
            self.clientID = clientID
            self.username = username
            self.password = password
            self.keepAlive = keepAlive
            self.prepareChannel = prepareChannel
        }
    }

    /// An operation the broker refused or that could not complete.
    public struct OperationError: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
    }

    private let loop: any EventLoop
    private let core: NIOLoopBoundBox<Core>

    private init(loop: any EventLoop, onMessage: @escaping @Sendable (PublishPacket) -> Void) {
        self.loop = loop
        self.core = NIOLoopBoundBox.makeBoxSendingValue(Core(loop: loop, onMessage: onMessage), eventLoop: loop)
    }

    /// Connects and waits for CONNACK 0.
    /// - Parameter onMessage: receives every application message, on the client's loop.
    /// - Throws: the connection error, or ``OperationError`` for a refused CONNECT.
    public static func connect(
        _ options: Options,
        group: any EventLoopGroup,
        onMessage: @escaping @Sendable (PublishPacket) -> Void = { _ in }
    ) async throws -> CloudClient {
        let loop = group.next()
        let client = CloudClient(loop: loop, onMessage: onMessage)
        let box = client.core
        let channel = try await ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try options.prepareChannel?(channel)
                    try channel.pipeline.syncOperations.addHandler(MQTTCodecHandler())
                    try channel.pipeline.syncOperations.addHandler(CloudClientHandler(core: box.value))
                }
            }
            .connect(host: options.host, port: options.port)
            .get()
        let connect = ConnectPacket(
            clientID: options.clientID,
            cleanSession: true,
            keepAlive: options.keepAlive,
            username: options.username,
            password: options.password.map { ByteBuffer(string: $0) }
        )
        try await loop.flatSubmit {
            box.value.start(channel: channel, connect: connect, keepAlive: options.keepAlive)
        }.get()
        return client
    }

    /// Subscribes and waits for SUBACK.
    public func subscribe(to filter: TopicFilter, qos: MQTTQoS) async throws {
        let box = core
        try await loop.flatSubmit { box.value.operation { machine, token in machine.subscribe(filter, qos: qos, token: token) } }.get()
    }

    /// Publishes and waits for the QoS handshake to finish.
    public func publish(_ topic: TopicName, payload: ByteBuffer, qos: MQTTQoS = .atLeastOnce, retain: Bool = false) async throws {
        let box = core
        try await loop.flatSubmit {
            box.value.operation { machine, token in machine.publish(topic, payload: payload, qos: qos, retain: retain, token: token) }
        }.get()
    }

    /// Sends DISCONNECT and closes.
    public func close() async {
        let box = core
        try? await loop.flatSubmit { box.value.close() }.get()
    }

    /// Drives the state machine; confined to the loop.
    final class Core {
        private var machine = CloudClientStateMachine()
        private let loop: any EventLoop
        private let onMessage: @Sendable (PublishPacket) -> Void
        private var channel: (any Channel)?
        private var promises: [UInt64: EventLoopPromise<Void>] = [:]
        private var lastToken: UInt64 = 0
        private var pinger: RepeatedTask?
        private var hasClosed = false

        init(loop: any EventLoop, onMessage: @escaping @Sendable (PublishPacket) -> Void) {
            self.loop = loop
            self.onMessage = onMessage
        }

        func start(channel: any Channel, connect: ConnectPacket, keepAlive: UInt16) -> EventLoopFuture<Void> {
            // The channel may already have closed (a TLS handshake the broker or we refused).
            guard !hasClosed, channel.isActive else {
                return loop.makeFailedFuture(OperationError(description: "the connection closed before CONNACK (for TLS: is the broker's CA trusted?)"))
            }
            self.channel = channel
            let promise = loop.makePromise(of: Void.self)
            promises[0] = promise
            channel.writeAndFlush(MQTTPacket.connect(connect), promise: nil)
            if keepAlive > 0 {
                let interval = TimeAmount.milliseconds(Int64(keepAlive) * 500)
                pinger = loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [weak channel] _ in
                    channel?.writeAndFlush(MQTTPacket.pingreq, promise: nil)
                }
            }
            return promise.futureResult
        }

        func operation(_ body: (inout CloudClientStateMachine, UInt64) -> [CloudClientStateMachine.Action]) -> EventLoopFuture<Void> {
            guard machine.isConnected else {
                return loop.makeFailedFuture(OperationError(description: "the cloud connection to the broker is closed"))
            }
            lastToken += 1
            let promise = loop.makePromise(of: Void.self)
            promises[lastToken] = promise
            perform(body(&machine, lastToken))
            return promise.futureResult
        }

        func received(_ packet: MQTTPacket) { perform(machine.received(packet)) }

        func closed() {
            hasClosed = true
            pinger?.cancel()
            channel = nil
            perform(machine.closed())
        }

        func close() -> EventLoopFuture<Void> {
            guard let channel else { return loop.makeSucceededVoidFuture() }
            return channel.writeAndFlush(MQTTPacket.disconnect).flatMap { channel.close() }.recover { _ in }
        }

        private func perform(_ actions: [CloudClientStateMachine.Action]) {
            for action in actions {
                switch action {
                case .send(let packet):
                    channel?.writeAndFlush(packet, promise: nil)
                case .complete(let token, let outcome):
                    guard let promise = promises.removeValue(forKey: token) else { continue }
                    switch outcome {
                    case .done: promise.succeed()
                    case .refused(let reason): promise.fail(OperationError(description: reason))
                    }
                case .deliver(let publish):
                    onMessage(publish)
                case .close:
                    channel?.close(promise: nil)
                }
            }
        }
    }
}

/// Passes channel events to the cloud client's core.
final class CloudClientHandler: ChannelInboundHandler {
    typealias InboundIn = MQTTPacket

    private let core: CloudClient.Core

    init(core: CloudClient.Core) {
        self.core = core
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        core.received(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        core.closed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension CloudClientHandler: Sendable {}
