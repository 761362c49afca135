import Foundation
import IoTHubCore
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// `harness bench burst`: what a burst of clients that never authenticate costs a server.
/// Each client opens a TLS connection, sends the start of a CONNECT whose fixed header announces
/// `announced` bytes (`sent` of them, then nothing), and holds the connection. The server's
/// resident memory is read before, sampled through the burst for its peak, and read again
/// after every client has closed and the server had a few seconds to settle.
public struct BurstBenchmark: Sendable {
    public struct Settings: Sendable {
        public var connections = 1000
        /// The remaining length the CONNECT's fixed header announces.
        public var announced = 8185
        /// CONNECT bytes sent after the fixed header.
        public var sent = 8100
        /// How long the clients hold their connections.
        public var hold: Duration = .seconds(3)
        /// TLS handshakes at a time while opening.
        public var parallel = 100
        public var harnessPath: String
        public var mosquittoPath: String?

        public init(connections: Int = 1000, announced: Int = 8185, sent: Int = 8100, hold: Duration = .seconds(3), parallel: Int = 100, harnessPath: String, mosquittoPath: String?) {
            self.connections = connections
            self.announced = announced
            self.sent = sent
            self.hold = hold
            self.parallel = parallel
            self.harnessPath = harnessPath
            self.mosquittoPath = mosquittoPath
        }
    }

    /// What one server did under the burst.
    public struct Measurement: Sendable {
        public var name: String
        public var opened: Int
        /// Connections the server closed before the clients did (at once, or at its limits).
        public var closedByServer: Int
        public var residentBefore: Int
        public var residentPeak: Int
        public var residentAfter: Int
    }

    public let settings: Settings

    public init(settings: Settings) {
        self.settings = settings
    }

    public func run(progress: @Sendable (String) -> Void) async throws -> [Measurement] {
        let targets = try BenchTargets.make()
        defer { targets.remove() }
        var results: [Measurement] = []
        progress("hub: starting `harness hub`")
        let (hub, state) = try await targets.startHub(harnessPath: settings.harnessPath, hostName: "bench.azure-devices.net")
        do {
            guard let port = state.tlsPort else { throw LoadError(description: "the hub's state file has no TLS port") }
            results.append(try await measure(name: "hub", pid: hub.processIdentifier, port: port, tls: targets.clientTLS, progress: progress))
        } catch {
            BenchTargets.stop(hub)
            throw error
        }
        BenchTargets.stop(hub)
        if let mosquitto = settings.mosquittoPath {
            progress("mosquitto: starting \(mosquitto)")
            let (broker, port) = try await targets.startMosquitto(mosquitto)
            defer { BenchTargets.stop(broker) }
            results.append(try await measure(name: "mosquitto", pid: broker.processIdentifier, port: port, tls: targets.clientTLS, progress: progress))
        }
        return results
    }

    /// The first bytes of a CONNECT: fixed header announcing `announced` bytes, then `sent`
    /// bytes of a body (protocol name, level, flags, keep-alive, then filler).
    public static func partialConnect(announced: Int, sent: Int) -> [UInt8] {
        var bytes: [UInt8] = [0x10]
        var length = announced
        repeat {
            var byte = UInt8(length % 128)
            length /= 128
            if length > 0 { byte |= 0x80 }
            bytes.append(byte)
        } while length > 0
        let start: [UInt8] = [0x00, 0x04, 0x4D, 0x51, 0x54, 0x54, 0x04, 0xC2, 0x00, 0x3C]
        bytes += start.prefix(sent)
        if sent > start.count { bytes += [UInt8](repeating: 0x61, count: sent - start.count) }
        return bytes
    }

    private func measure(name: String, pid: Int32, port: Int, tls: NIOSSLContext, progress: @Sendable (String) -> Void) async throws -> Measurement {
        try await Task.sleep(for: .milliseconds(500))
        let before = ProcessMemory.residentBytes(of: pid) ?? 0
        let peak = Atomic<Int>(before)
        let sampling = Task {
            while !Task.isCancelled {
                if let now = ProcessMemory.residentBytes(of: pid) { peak.max(now, ordering: .relaxed) }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        defer { sampling.cancel() }
        let payload = Self.partialConnect(announced: settings.announced, sent: settings.sent)
        let counters = BurstCounters()
        let start = ContinuousClock.now
        var channels: [any Channel] = []
        try await withThrowingTaskGroup(of: (any Channel)?.self) { group in
            var next = 0
            func open() {
                group.addTask {
                    do {
                        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                            .channelInitializer { channel in
                                channel.eventLoop.makeCompletedFuture {
                                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: "localhost"))
                                }
                            }
                            .connect(host: "127.0.0.1", port: port)
                            .get()
                        channel.closeFuture.whenComplete { _ in
                            if !counters.clientsClosing.load(ordering: .relaxed) { counters.closedByServer.add(1, ordering: .relaxed) }
                        }
                        channel.writeAndFlush(channel.allocator.buffer(bytes: payload), promise: nil)
                        return channel
                    } catch {
                        // Refused at connect or in the handshake: the server closed it.
                        counters.closedByServer.add(1, ordering: .relaxed)
                        return nil
                    }
                }
                next += 1
            }
            while next < min(settings.parallel, settings.connections) { open() }
            while let result = try await group.next() {
                if let result { channels.append(result) }
                if next < settings.connections { open() }
            }
        }
        progress("\(name): \(settings.connections) connections opened in \(HubBenchmark.format(ContinuousClock.now - start)), holding \(HubBenchmark.format(settings.hold))")
        try await Task.sleep(for: settings.hold)
        let closed = counters.closedByServer.load(ordering: .relaxed)
        counters.clientsClosing.store(true, ordering: .relaxed)
        for channel in channels { channel.close(promise: nil) }
        sampling.cancel()
        // The hub gives memory back a second or two after a burst closes.
        try await Task.sleep(for: .seconds(3))
        let after = ProcessMemory.residentBytes(of: pid) ?? 0
        return Measurement(name: name, opened: settings.connections, closedByServer: closed, residentBefore: before, residentPeak: peak.load(ordering: .relaxed), residentAfter: after)
    }
}

/// What the burst's connections saw, shared with their callbacks.
public final class BurstCounters: Sendable {
    /// Connections the server closed (or refused) before the clients closed them.
    public let closedByServer = Atomic<Int>(0)
    /// Set when the clients start closing their own connections.
    public let clientsClosing = Atomic<Bool>(false)
}
