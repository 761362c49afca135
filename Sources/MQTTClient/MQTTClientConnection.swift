import MQTTClientCore
import MQTTCore
import NIOCore
import NIOSSL

/// An MQTT client connection usable from anywhere: an ``MQTTClientDriver`` on one event loop,
/// with async operations that wait for their outcome.
public final class MQTTClientConnection: Sendable {
    public let eventLoop: any EventLoop
    private let driver: NIOLoopBoundBox<MQTTClientDriver>

    /// Creates a client on `eventLoop`.
    /// - Parameter output: receives what the session hands out, on the event loop; must not
    ///   block.
    public init(
        configuration: MQTTClientConfiguration,
        settings: MQTTClientDriver.Settings = MQTTClientDriver.Settings(),
        eventLoop: any EventLoop,
        output: @escaping @Sendable (MQTTClientDriver.Output) -> Void = { _ in }
    ) {
        self.eventLoop = eventLoop
        self.driver = NIOLoopBoundBox.makeBoxSendingValue(
            MQTTClientDriver(configuration: configuration, settings: settings, eventLoop: eventLoop, output: output),
            eventLoop: eventLoop
        )
    }

    /// Runs `operation` and returns its outcome.
    /// - Parameter endpoint: where to connect when the operation opens the transport (it is
    ///   ignored while a connection is open).
    public func perform(_ operation: MQTTClientSession.Operation, endpoint: BrokerEndpoint? = nil) async -> MQTTClientSession.Outcome {
        let promise = eventLoop.makePromise(of: MQTTClientSession.Outcome.self)
        let driver = self.driver
        eventLoop.execute {
            let driver = driver.value
            if let endpoint, !driver.session.isTransportOpen { driver.endpoint = endpoint }
            driver.start(operation) { promise.succeed($0) }
        }
        do {
            return try await promise.futureResult.get()
        } catch {
            return .connectionEnded(reason: "\(error)")
        }
    }

    /// Runs `body` with the driver on its event loop.
    public func withDriver<Result: Sendable>(_ body: @escaping @Sendable (MQTTClientDriver) throws -> Result) async throws -> Result {
        let driver = self.driver
        return try await eventLoop.submit { try body(driver.value) }.get()
    }

    /// See ``MQTTClientDriver/restart()``.
    public func restart() async {
        try? await withDriver { $0.restart() }
    }

    /// See ``MQTTClientDriver/shutdown()``.
    public func shutdown() async {
        try? await withDriver { $0.shutdown() }
    }

    /// Closes the connection without DISCONNECT and waits until it is closed.
    public func close() async {
        try? await withDriver { $0.close() }.get()
    }

    /// Resets the connection (TCP RST) without DISCONNECT and waits until it is closed.
    public func reset() async {
        try? await withDriver { $0.reset() }.get()
    }

    /// The session as it is now.
    public func session() async -> MQTTClientSession? {
        try? await withDriver { $0.session }
    }
}
