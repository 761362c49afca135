import Foundation
import MQTTClient
import MQTTClientCore
import MQTTCore
import NIOCore
import NIOSSL
import Synchronization

/// Counters shared by every load connection of a benchmark run.
public final class LoadCounters: Sendable {
    public let ready = Atomic<Int>(0)
    public let received = Atomic<Int>(0)
    public let failed = Atomic<Int>(0)
    public let acknowledged = Atomic<Int>(0)
}

/// A benchmark failure.
public struct LoadError: Error, CustomStringConvertible {
    public var description: String
}

/// Opens load connections: simulated devices (or a publisher) of the benchmark, each the
/// client engine over TLS that connects, subscribes to its filter (if any) at QoS 1, and
/// PUBACKs every QoS 1 PUBLISH. Nothing else: no pings, no checks of the broker.
public struct LoadConnector: Sendable {
    public var group: any EventLoopGroup
    public var port: Int
    /// The TLS settings and the context made from them once, shared by every connection;
    /// `nil` for plain TCP.
    public var tls: ClientTLS?
    public var tlsContext: NIOSSLContext?

    public static let configuration = MQTTClientConfiguration(name: "load", keepAlive: .off, protocolViolations: .tolerate, allowsConcurrentOperations: true)

    /// Connects one client and waits until it is ready (CONNACK 0, and SUBACK when
    /// subscribing). Every message it receives counts in `counters.received`.
    public func open(connect: ConnectOptions, filter: TopicFilter?, counters: LoadCounters) async throws -> MQTTClientConnection {
        let settings = MQTTClientDriver.Settings(connectTimeout: .seconds(30), tlsContext: tlsContext)
        let connection = MQTTClientConnection(configuration: Self.configuration, settings: settings, eventLoop: group.next()) { output in
            if case .deliver = output { counters.received.add(1, ordering: .relaxed) }
        }
        let ready = connection.eventLoop.makePromise(of: Void.self)
        let endpoint = BrokerEndpoint(host: "127.0.0.1", port: port, tls: tls)
        // Connect and subscribe on the loop, one step after the other.
        try await connection.withDriver { driver in
            driver.endpoint = endpoint
            driver.start(.connect(connect)) { outcome in
                guard case .answered(.connack(let connack)) = outcome, connack.returnCode == .accepted else {
                    Self.fail(driver, ready: ready, counters: counters, outcome)
                    return
                }
                guard let filter else { return ready.succeed() }
                driver.start(.subscribe([.init(filter: filter, qos: .atLeastOnce)])) { outcome in
                    guard case .answered = outcome else { return Self.fail(driver, ready: ready, counters: counters, outcome) }
                    ready.succeed()
                }
            }
        }
        try await ready.futureResult.get()
        counters.ready.add(1, ordering: .relaxed)
        return connection
    }

    private static func fail(_ driver: MQTTClientDriver, ready: EventLoopPromise<Void>, counters: LoadCounters, _ outcome: MQTTClientSession.Outcome) {
        counters.failed.add(1, ordering: .relaxed)
        let reason: String
        switch outcome {
        case .answered(.connack(let connack)): reason = "CONNACK \(connack.returnCode)"
        case .connectionEnded(let why), .unsupported(let why), .protocolViolation(let why): reason = why
        case .answered, .done: reason = "connection closed before it was ready"
        }
        ready.fail(LoadError(description: reason))
        _ = driver.close()
    }

    /// Opens every client, at most `parallel` handshakes at a time.
    public func openAll(_ clients: [(ConnectOptions, TopicFilter?)], parallel: Int, counters: LoadCounters) async throws -> [MQTTClientConnection] {
        try await withThrowingTaskGroup(of: (Int, MQTTClientConnection).self) { group in
            var connections: [(Int, MQTTClientConnection)] = []
            var next = 0
            func start() {
                let index = next
                let (connect, filter) = clients[index]
                group.addTask { (index, try await open(connect: connect, filter: filter, counters: counters)) }
                next += 1
            }
            while next < min(parallel, clients.count) { start() }
            while let result = try await group.next() {
                connections.append(result)
                if next < clients.count { start() }
            }
            return connections.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// Closes every connection without DISCONNECT.
    public static func closeAll(_ connections: [MQTTClientConnection]) async {
        await withTaskGroup(of: Void.self) { group in
            for connection in connections { group.addTask { await connection.close() } }
        }
    }
}

/// Resident memory of a process, from `/proc/{pid}/status` (VmRSS), in bytes.
public enum ProcessMemory {
    public static func residentBytes(of pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let digits = line.split(separator: " ").compactMap { Int($0) }
            if let kilobytes = digits.first { return kilobytes * 1024 }
        }
        return nil
    }
}
