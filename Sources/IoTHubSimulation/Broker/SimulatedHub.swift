import Foundation
import IoTHubCore
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// The simulated Azure IoT Hub: an MQTT server on loopback that applies the IoT Hub policy of
/// ``HubStateMachine``, plus the cloud-side operations a scenario needs (send C2D, jump the
/// clock). Everything it does is reported to the observer as ``HubEventRecord``s.
///
/// The state machine and the service side live on one event loop; the connections live there
/// too, or on one other loop (``ConnectionPlacement``).
public final class SimulatedHub: Sendable {
    let loop: any EventLoop
    let driver: NIOLoopBoundBox<HubDriver>
    /// Where the MQTT connections live: the hub's loop, or another one (see ``ConnectionPlacement``).
    let connectionLoop: any EventLoop
    private let connectionIDs = Atomic<UInt64>(0)

    /// Where a hub's MQTT connections live.
    public enum ConnectionPlacement: Sendable, Hashable, CaseIterable {
        /// On the hub's own event loop, with its state machine and service API: one thread, and
        /// every event in the exact order it happened (scenario runs use this).
        case hubLoop
        /// On another event loop of the group, when it has one: TLS and socket work run on a
        /// second driver while the state machine and the service API keep the hub's loop.
        /// Connection events reach the state machine in the order that one loop saw them, and
        /// each connection's packets go out in the order the machine sent them. `harness hub`
        /// uses this.
        case separateLoop
    }
    private let tap: (any PacketTap)?
    private let monotonic: any MonotonicClock
    private let serverChannels: Mutex<[any Channel]>
    private let boundEndpoints: Mutex<HubEndpoints?>
    /// The certificate the TLS listener presents, once started with TLS.
    private let serverIdentity: Mutex<HubServerIdentity?>
    /// The hub's clock, shared with whoever mints tokens for it.
    public let clock: HubClock
    public let configuration: HubConfiguration

    /// Creates a hub; call ``start(host:port:)`` to listen.
    /// - Parameters:
    ///   - group: where the hub's event loop (and, with `.separateLoop`, its connections' loop)
    ///     comes from.
    ///   - observer: receives every hub event, on the hub's event loop; must not block.
    ///   - tap: receives every packet the hub decodes or encodes; with `.separateLoop` it is
    ///     called on the connections' loop.
    ///   - connections: where the MQTT connections live.
    public init(
        configuration: HubConfiguration = HubConfiguration(),
        registry: DeviceRegistry = DeviceRegistry(),
        group: any EventLoopGroup,
        clock: HubClock = HubClock(),
        monotonic: any MonotonicClock = SystemMonotonicClock(),
        observer: (@Sendable (HubEventRecord) -> Void)? = nil,
        tap: (any PacketTap)? = nil,
        connections: ConnectionPlacement = .hubLoop
    ) {
        let loop = group.next()
        switch connections {
        case .hubLoop: self.connectionLoop = loop
        case .separateLoop: self.connectionLoop = group.makeIterator().first { $0 !== loop } ?? loop
        }
        self.loop = loop
        self.clock = clock
        self.configuration = configuration
        self.monotonic = monotonic
        self.tap = tap
        self.serverChannels = Mutex([])
        self.boundEndpoints = Mutex(nil)
        self.serverIdentity = Mutex(nil)
        self.driver = NIOLoopBoundBox.makeBoxSendingValue(
            HubDriver(
                machine: HubStateMachine(configuration: configuration, registry: registry),
                loop: loop,
                clock: clock,
                monotonic: monotonic,
                observer: observer
            ),
            eventLoop: loop
        )
    }

    /// Starts listening for plain TCP on `host:port` (port 0 picks a free port). This is the
    /// in-process form scenarios use; ``start(_:)`` adds TLS, as on the real hub.
    /// - Returns: the bound port.
    @discardableResult
    public func start(host: String = "127.0.0.1", port: Int = 0) async throws -> Int {
        let endpoints = try await start(HubListeners(host: host, tls: nil, plainPort: port))
        return endpoints.plainPort ?? port
    }

    /// Starts the listeners: TLS (TLS 1.2 and 1.3, with a certificate the hub makes itself
    /// unless PEM files are given) and, when asked for, plain TCP. Both carry the same MQTT
    /// pipeline; TLS only prepends the TLS handler.
    /// - Returns: the bound ports and the CA file clients must trust.
    /// - Throws: ``HubTLSError`` when TLS cannot be set up; NIO errors when a port is taken.
    @discardableResult
    public func start(_ listeners: HubListeners) async throws -> HubEndpoints {
        var endpoints = HubEndpoints(host: listeners.host)
        var bound: [any Channel] = []
        do {
            if let tls = listeners.tls {
                await ServerKey.prepare()
                let context = try HubTLSContext.make(tls, now: Date())
                let identity = HubServerIdentity(context)
                let channel = try await bind(host: listeners.host, port: listeners.tlsPort, tls: identity)
                bound.append(channel)
                if let webSocketPort = listeners.webSocketPort {
                    let webSocket = try await bind(host: listeners.host, port: webSocketPort, tls: identity, webSocket: true)
                    bound.append(webSocket)
                    endpoints.webSocketPort = webSocket.localAddress?.port ?? webSocketPort
                    endpoints.webSocketUsesTLS = true
                }
                serverIdentity.withLock { $0 = identity }
                endpoints.tlsPort = channel.localAddress?.port ?? listeners.tlsPort
                endpoints.caCertificatePath = context.caCertificatePath
                endpoints.nextRootCertificatePath = context.nextRootCertificatePath
                endpoints.rootBundlePath = context.rootBundlePath
                endpoints.intermediateCertificatePath = context.intermediateCertificatePath
                endpoints.tlsProfile = tls.profile
            }
            if let plainPort = listeners.plainPort {
                let channel = try await bind(host: listeners.host, port: plainPort, tls: nil)
                bound.append(channel)
                endpoints.plainPort = channel.localAddress?.port ?? plainPort
            }
            if listeners.tls == nil, let webSocketPort = listeners.webSocketPort {
                let channel = try await bind(host: listeners.host, port: webSocketPort, tls: nil, webSocket: true)
                bound.append(channel)
                endpoints.webSocketPort = channel.localAddress?.port ?? webSocketPort
            }
        } catch {
            for channel in bound { try? await channel.close() }
            throw error
        }
        let result = endpoints
        serverChannels.withLock { $0 += bound }
        self.boundEndpoints.withLock { $0 = result }
        return result
    }

    /// One listener. TLS prepends the TLS handler; WebSockets put the HTTP upgrade and the
    /// frames in front of the same MQTT pipeline (``HubWebSocketPipeline``).
    private func bind(host: String, port: Int, tls: HubServerIdentity?, webSocket: Bool = false) async throws -> any Channel {
        let driver = self.driver
        let tap = self.tap
        let monotonic = self.monotonic
        let maximumPacketSize = configuration.maximumPacketSize
        let admission = MQTTCodecHandler.Admission(maximumConnectSize: configuration.maximumConnectPacketSize)
        let hubLoop = loop
        let ids = self
        return try await ServerBootstrap(group: loop, childGroup: connectionLoop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // Each connection keeps a few receive buffers; reads of at most 16 KiB (a TLS
            // record) keep that small for thousands of connections, where NIO's default of
            // 64 KiB lets one burst of data grow them to a quarter of a megabyte each.
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: 16384))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let connection = ids.connectionIDs.wrappingAdd(1, ordering: .relaxed).newValue
                    var acceptor: HubTLSAcceptor?
                    if let tls {
                        // The identity is read for every connection: a certificate fault swaps it.
                        let tlsAcceptor = HubTLSAcceptor(profile: tls.profile)
                        try tlsAcceptor.install(on: channel, identity: tls) { chain in
                            let deliver: @Sendable (HubDriver) -> Void = { $0.presented(chain, on: connection) }
                            if hubLoop.inEventLoop { deliver(driver.value) } else { hubLoop.execute { deliver(driver.value) } }
                        }
                        acceptor = tlsAcceptor
                    }
                    let codecConfiguration = MQTTCodecHandler.Configuration(
                        maximumPacketSize: maximumPacketSize,
                        connection: connection,
                        tap: tap,
                        clock: monotonic,
                        admission: admission
                    )
                    guard webSocket else {
                        try channel.pipeline.syncOperations.addHandler(MQTTCodecHandler(configuration: codecConfiguration))
                        try channel.pipeline.syncOperations.addHandler(HubConnectionHandler(driver: driver, hubLoop: hubLoop, connection: connection, tls: acceptor))
                        return
                    }
                    let tlsAcceptor = NIOLoopBound(acceptor, eventLoop: channel.eventLoop)
                    try HubWebSocketPipeline.install(
                        on: channel,
                        maximumFrameSize: maximumPacketSize,
                        makeCodec: { MQTTCodecHandler(configuration: codecConfiguration) },
                        makeConnectionHandler: { announcesOpening in
                            HubConnectionHandler(driver: driver, hubLoop: hubLoop, connection: connection, tls: tlsAcceptor.value, announcesOpening: announcesOpening)
                        }
                    )
                }
            }
            .bind(host: host, port: port)
            .get()
    }

    /// The listeners bound by the last start, if started.
    public var endpoints: HubEndpoints? {
        boundEndpoints.withLock { $0 }
    }

    /// The CA certificate file (PEM) TLS clients must trust, once started with TLS.
    public var caCertificatePath: String? {
        boundEndpoints.withLock { $0?.caCertificatePath }
    }

    /// The port the hub listens on once started: the plain TCP port if there is one, otherwise
    /// the TLS port.
    public var port: Int? {
        boundEndpoints.withLock { $0.flatMap { $0.plainPort ?? $0.tlsPort } }
    }

    /// Stops listening and closes every connection.
    public func stop() async {
        let channels = serverChannels.withLock { channels in
            defer { channels = [] }
            return channels
        }
        for channel in channels { try? await channel.close() }
        let driver = self.driver
        try? await loop.submit { driver.value.closeAll() }.get()
    }

    /// Adds or replaces a device identity.
    public func register(_ device: DeviceRecord) async throws {
        let driver = self.driver
        try await loop.submit { driver.value.register(device) }.get()
    }

    /// Adds or replaces a shared access policy.
    public func register(_ policy: AccessPolicy) async throws {
        let driver = self.driver
        try await loop.submit { driver.value.register(policy) }.get()
    }

    /// The identity of a device, if registered.
    public func device(_ id: DeviceID) async throws -> DeviceRecord? {
        let driver = self.driver
        return try await loop.submit { driver.value.device(id) }.get()
    }

    /// Sends a C2D message from the cloud side: it is enqueued and, if the device is
    /// connected and subscribed, published at once.
    /// - Returns: the message id.
    /// - Throws: ``CloudToDeviceError`` when the hub refuses it.
    @discardableResult
    public func sendCloudToDevice(_ message: CloudToDeviceMessage, to deviceID: DeviceID) async throws -> String {
        let driver = self.driver
        return try await loop.submit {
            let messageID = message.messageID ?? driver.value.makeMessageID()
            try driver.value.enqueue(message, for: deviceID, messageID: messageID)
            return messageID
        }.get()
    }

    /// Sends a C2D message without waiting: it is enqueued on the hub's event loop before the
    /// loop handles anything else, so an observer reacting to a hub event (a disconnect, say)
    /// gets it in at that exact moment. A refusal is reported as a `cloudToDeviceRejected`
    /// event.
    public func sendCloudToDeviceImmediately(_ message: CloudToDeviceMessage, to deviceID: DeviceID) {
        let driver = self.driver
        loop.execute {
            let messageID = message.messageID ?? driver.value.makeMessageID()
            // A refusal is reported by the driver as an event; nobody waits for it here.
            try? driver.value.enqueue(message, for: deviceID, messageID: messageID)
        }
    }

    /// Removes every queued C2D message of a device.
    /// - Returns: how many were removed.
    public func purgeQueue(of deviceID: DeviceID) async throws -> Int {
        let driver = self.driver
        return try await loop.submit { driver.value.purgeQueue(of: deviceID) }.get()
    }

    /// Whether the device has a live authenticated connection.
    public func isConnected(_ deviceID: DeviceID) async throws -> Bool {
        let driver = self.driver
        return try await loop.submit { driver.value.isConnected(deviceID) }.get()
    }

    /// Connections whose CONNECT has not been accepted yet.
    public func pendingConnectionCount() async throws -> Int {
        let driver = self.driver
        return try await loop.submit { driver.value.read { $0.pendingConnectionCount } }.get()
    }

    /// Messages in the device's C2D queue, locked ones included.
    public func queueDepth(of deviceID: DeviceID) async throws -> Int {
        let driver = self.driver
        return try await loop.submit { driver.value.queueDepth(of: deviceID) }.get()
    }

    /// Starts a hub fault: for one device, or (`device` nil) for the whole hub. Starting a
    /// fault of the same kind and scope again replaces the earlier one. Reported as
    /// ``HubEvent/fault(_:)`` `.started` (and `.ended` when it ends); what it does to
    /// connections as `disconnected` with ``DisconnectReason/fault(_:_:)``.
    ///
    /// - ``HubFault/restart``: the connections in scope drop at once; until the fault ends,
    ///   new connections (hub-wide) or CONNECTs of the device are closed without an answer.
    ///   Sessions and C2D queues survive.
    /// - ``HubFault/throttle``: CONNECT refused with
    ///   ``HubConfiguration/throttledConnectRefusal``; telemetry cuts the connection; the
    ///   service REST API answers 429 `ThrottlingException`.
    /// - ``HubFault/authError``: CONNECT refused with CONNACK 5.
    /// - ``HubFault/quotaExceeded``: telemetry cuts the connection without PUBACK.
    /// - Parameters:
    ///   - device: the one device the fault applies to; `nil` for every device.
    ///   - duration: how long the fault lasts on the hub's clock (``advanceClock(by:)`` moves
    ///     it too); `nil` until ``endFault(_:device:)``.
    public func startFault(_ fault: HubFault, device: DeviceID?, duration: Duration? = nil) async throws {
        let driver = self.driver
        try await loop.submit { driver.value.startFault(fault, device: device, duration: duration) }.get()
    }

    /// Ends the fault of this kind and exactly this scope (`device` nil: the hub-wide one),
    /// whether started with ``startFault(_:device:duration:)`` or by a device's fault-injection
    /// message.
    /// - Returns: `false` when no such fault was in force or waiting for its delay.
    @discardableResult
    public func endFault(_ fault: HubFault, device: DeviceID?) async throws -> Bool {
        let driver = self.driver
        return try await loop.submit { driver.value.endFault(fault, device: device) }.get()
    }

    /// The faults in force now, in the order they started.
    public func activeFaults() async throws -> [HubFaultActivation] {
        let driver = self.driver
        let clock = self.clock
        return try await loop.submit { driver.value.read { $0.activeFaults(at: clock.now()) } }.get()
    }

    /// Presents the certificate of `fault` to every TLS connection accepted from now on
    /// (replacing another certificate fault's); connections already open keep theirs, as a
    /// certificate matters only at the handshake. Certificates are dated by real time, which
    /// is what clients check them against, not by the hub's clock.
    /// - Throws: ``HubTLSError`` when the hub has no TLS listener, serves the user's PEM
    ///   files (it holds no CA key), or was started without a next root for `.rotatedRoot`.
    public func startCertificateFault(_ fault: HubCertificateFault) throws(HubTLSError) {
        guard let identity = serverIdentity.withLock({ $0 }) else {
            throw .setupFailed(reason: "certificate faults need the hub's TLS listener, and it listens without TLS")
        }
        try identity.start(fault, now: Date())
    }

    /// Goes back to the hub's own certificate for new connections, if `fault` is the
    /// certificate fault on.
    /// - Returns: whether it was on.
    @discardableResult
    public func endCertificateFault(_ fault: HubCertificateFault) -> Bool {
        serverIdentity.withLock { $0 }?.end(fault) ?? false
    }

    /// The certificate fault on now, if any.
    public var certificateFault: HubCertificateFault? {
        serverIdentity.withLock { $0 }?.fault
    }

    /// Jumps the hub's clock forward and acts at once on every deadline that passes (token
    /// expiry, keep-alive, message TTL).
    public func advanceClock(by duration: Duration) async throws {
        let driver = self.driver
        let clock = self.clock
        try await loop.submit {
            clock.advance(by: duration)
            driver.value.clockAdvanced(by: duration)
        }.get()
    }
}
