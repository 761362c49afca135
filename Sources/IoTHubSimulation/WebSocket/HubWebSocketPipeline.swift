import IoTHubSimulationCore
import MQTTCore
import MQTTWebSocket
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Sets up a WebSocket listener's connection: HTTP until the upgrade on
/// `GET /$iothub/websocket` with subprotocol `mqtt`, then WebSocket frames carrying the same
/// MQTT pipeline as the TCP listeners (the codec with its packet tap and pre-CONNECT limits,
/// then the hub's connection handler).
///
/// The connection handler is in the pipeline from the start, so the hub counts the connection
/// as waiting for CONNECT from the moment it opens: its CONNECT timeout and pending-connection
/// limit cover the HTTP phase too.
enum HubWebSocketPipeline {
    /// The name of the connection handler, moved behind the frame handlers at the upgrade.
    static let connectionHandlerName = "hub-connection"

    /// The HTTP request head limits before the upgrade: enough for any SDK's upgrade request,
    /// small enough that a connection that never authenticates holds little.
    static let headerLimits: NIOHTTPDecoderLimitConfiguration = {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = 8192
        limits.maxHeaderListSize = 16384
        limits.maxHeaderFieldCount = 100
        return limits
    }()

    /// Adds the HTTP stage and arranges the upgrade.
    /// - Parameters:
    ///   - maximumFrameSize: the largest frame accepted (the hub's maximum packet size).
    ///   - makeCodec: the MQTT codec for this connection.
    ///   - makeConnectionHandler: the hub's connection handler; `announcesOpening` is false
    ///     for the one added at the upgrade (the connection was announced when it opened).
    static func install(
        on channel: any Channel,
        maximumFrameSize: Int,
        makeCodec: @escaping @Sendable () -> MQTTCodecHandler,
        makeConnectionHandler: @escaping @Sendable (_ announcesOpening: Bool) -> HubConnectionHandler
    ) throws {
        let policy = WebSocketUpgradePolicy(path: MQTTWebSocketEndpoint.path, subprotocol: MQTTWebSocketEndpoint.subprotocol)
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: maximumFrameSize,
            automaticErrorHandling: false,
            shouldUpgrade: { channel, head in
                let headers = head.headers.map { (name: $0.name, value: $0.value) }
                switch policy.decide(method: head.method.rawValue, uri: head.uri, headers: headers) {
                case .upgrade(let subprotocol):
                    return channel.eventLoop.makeSucceededFuture(HTTPHeaders([("Sec-WebSocket-Protocol", subprotocol)]))
                case .refuse:
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
            },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    let old = try pipeline.handler(type: HubConnectionHandler.self)
                    // The old handler goes without a word: removing it is not a close.
                    pipeline.removeHandler(old, promise: nil)
                    try pipeline.addHandler(WebSocketMQTTBridge(role: .server, maximumFrameSize: maximumFrameSize))
                    try pipeline.addHandler(makeCodec())
                    try pipeline.addHandler(makeConnectionHandler(false), name: connectionHandlerName)
                }
            }
        )
        let pipeline = channel.pipeline.syncOperations
        let encoder = HTTPResponseEncoder()
        let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes, limitConfiguration: headerLimits))
        let gate = HubWebSocketGate(policy: policy)
        let upgradeHandler = HTTPServerUpgradeHandler(
            upgraders: [upgrader],
            httpEncoder: encoder,
            extraHTTPHandlers: [decoder, gate],
            upgradeCompletionHandler: { _ in }
        )
        try pipeline.addHandler(encoder)
        try pipeline.addHandler(decoder)
        try pipeline.addHandler(upgradeHandler)
        try pipeline.addHandler(gate)
        try pipeline.addHandler(makeConnectionHandler(true), name: connectionHandlerName)
    }
}
