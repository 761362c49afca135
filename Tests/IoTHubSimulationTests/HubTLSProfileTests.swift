import Foundation
import HarnessTestSupport
import IoTHubCore
@testable import IoTHubSimulation
import IoTHubSimulationCore
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization
import Testing
import X509

/// The hub's TLS profiles on a real loopback socket, against a BoringSSL client that offers
/// exactly what an old board's TLS stack would, and the shape of the server chain.
@Suite struct HubTLSProfileTests {
    let group = MultiThreadedEventLoopGroup.singleton

    /// The hub's TLS refusals, as reported.
    final class Refusals: Sendable {
        private let reasons = Mutex<[String]>([])
        func observe(_ record: HubEventRecord) {
            if case .disconnected(nil, _, .tlsRefused(let reason)) = record.event { reasons.withLock { $0.append(reason) } }
        }
        var all: [String] { reasons.withLock { $0 } }
    }

    func withHub(_ profile: HubTLSProfile, _ body: (HubEndpoints, Refusals) async throws -> Void) async throws {
        let refusals = Refusals()
        let hub = SimulatedHub(
            configuration: HubConfiguration(hostName: HubFixtures.hostName),
            registry: DeviceRegistry(devices: [DeviceRecord(id: HubFixtures.deviceID, primaryKey: HubFixtures.key)]),
            group: group,
            observer: { refusals.observe($0) }
        )
        let endpoints = try await hub.start(HubListeners(tls: HubTLSConfiguration(profile: profile)))
        do {
            try await body(endpoints, refusals)
        } catch {
            await hub.stop()
            throw error
        }
        await hub.stop()
    }

    /// Completes a handshake's promise from the channel's TLS events.
    final class HandshakeWatcher: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let done: EventLoopPromise<TLSVersion?>
        init(done: EventLoopPromise<TLSVersion?>) { self.done = done }
        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
                let version = try? context.channel.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self).tlsVersion
                done.succeed(version)
            }
            context.fireUserInboundEventTriggered(event)
        }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { done.fail(error) }
        func channelInactive(context: ChannelHandlerContext) { done.fail(ChannelError.eof) }
    }

    /// A TLS handshake with the hub offering what `configure` sets; the negotiated version, or
    /// the client's error.
    func handshake(port: Int, serverName: String? = "localhost", _ configure: (inout TLSConfiguration) -> Void) async throws -> Result<TLSVersion?, any Error> {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        configure(&configuration)
        let context = try NIOSSLContext(configuration: configuration)
        let promise = group.next().makePromise(of: TLSVersion?.self)
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverName))
                    try channel.pipeline.syncOperations.addHandler(HandshakeWatcher(done: promise))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        let result: Result<TLSVersion?, any Error>
        do {
            result = .success(try await promise.futureResult.get())
        } catch {
            result = .failure(error)
        }
        try? await channel.close()
        return result
    }

    /// Waits briefly for the hub's report of a refusal.
    func firstRefusal(_ refusals: Refusals) async -> String? {
        for _ in 0..<200 {
            if let first = refusals.all.first { return first }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    @Test("a client offering only TLS 1.0/1.1 is refused under strict with the reason reported, and accepted under legacy")
    func oldVersions() async throws {
        let onlyOld: (inout TLSConfiguration) -> Void = { $0.minimumTLSVersion = .tlsv1; $0.maximumTLSVersion = .tlsv11 }
        try await withHub(.strict) { endpoints, refusals in
            let result = try await handshake(port: try #require(endpoints.tlsPort), onlyOld)
            #expect(throws: (any Error).self) { try result.get() }
            let reason = await firstRefusal(refusals)
            #expect(reason?.contains("the client offered only TLS versions older than the TLS profile strict accepts (TLS 1.2 or newer)") == true, "\(String(describing: reason))")
        }
        try await withHub(.legacy) { endpoints, refusals in
            let result = try await handshake(port: try #require(endpoints.tlsPort), onlyOld)
            #expect(try result.get() == .tlsv11)
            #expect(refusals.all.isEmpty)
        }
    }

    @Test("a TLS 1.2 client offering only RSA key exchange suites is refused under strict (no suite in common, reported), and accepted under legacy")
    func rsaKeyExchange() async throws {
        let onlyRSA: (inout TLSConfiguration) -> Void = {
            $0.maximumTLSVersion = .tlsv12
            $0.cipherSuites = "AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA:AES256-SHA"
        }
        try await withHub(.strict) { endpoints, refusals in
            let result = try await handshake(port: try #require(endpoints.tlsPort), onlyRSA)
            #expect(throws: (any Error).self) { try result.get() }
            let reason = await firstRefusal(refusals)
            #expect(reason?.contains("no cipher suite in common: TLS profile strict takes only ECDHE-RSA-AES256-GCM-SHA384") == true, "\(String(describing: reason))")
        }
        try await withHub(.legacy) { endpoints, _ in
            let result = try await handshake(port: try #require(endpoints.tlsPort), onlyRSA)
            #expect(try result.get() == .tlsv12)
        }
    }

    @Test("strict: TLS 1.3 needs SNI, as on the real hub; without SNI a client gets TLS 1.2, and a TLS 1.3-only client without SNI is refused with the reason")
    func serverNameIndication() async throws {
        try await withHub(.strict) { endpoints, refusals in
            let port = try #require(endpoints.tlsPort)
            #expect(try await handshake(port: port, serverName: "localhost") { _ in }.get() == .tlsv13)
            #expect(try await handshake(port: port, serverName: nil) { _ in }.get() == .tlsv12)
            let only13 = try await handshake(port: port, serverName: nil) { $0.minimumTLSVersion = .tlsv13 }
            #expect(throws: (any Error).self) { try only13.get() }
            let reason = await firstRefusal(refusals)
            #expect(reason?.contains("without SNI") == true, "\(String(describing: reason))")
        }
        try await withHub(.legacy) { endpoints, _ in
            let result = try await handshake(port: try #require(endpoints.tlsPort), serverName: nil) { _ in }
            #expect(try result.get() == .tlsv13)
        }
    }

    @Test("the server chain is root -> intermediate -> server: a device trusting the root connects; one trusting only the intermediate, or another root, fails verification, and the hub reports why")
    func chainShape() async throws {
        try await withHub(.strict) { endpoints, refusals in
            let port = try #require(endpoints.tlsPort)
            let root = try #require(endpoints.caCertificatePath)
            let intermediate = try #require(endpoints.intermediateCertificatePath)
            let rootCertificate = try CertificateFiles.certificate(at: root)
            let intermediateCertificate = try CertificateFiles.certificate(at: intermediate)
            #expect(intermediateCertificate.issuer == rootCertificate.subject && intermediateCertificate.subject != rootCertificate.subject)

            let trusted = try await handshake(port: port) { $0.certificateVerification = .fullVerification; $0.trustRoots = .file(root) }
            #expect(try trusted.get() == .tlsv13)

            let pinned = try await handshake(port: port) { $0.certificateVerification = .fullVerification; $0.trustRoots = .file(intermediate) }
            #expect(throws: (any Error).self) { try pinned.get() }

            let other = try HubCertificateFactory.make(hostNames: ["localhost"], ipAddresses: [], now: Date())
            let otherRoot = try NIOSSLCertificate(bytes: Array(other.caCertificatePEM.utf8), format: .pem)
            let stranger = try await handshake(port: port) { $0.certificateVerification = .fullVerification; $0.trustRoots = .certificates([otherRoot]) }
            #expect(throws: (any Error).self) { try stranger.get() }
            let reason = await firstRefusal(refusals)
            #expect(reason?.contains("the client ended the handshake") == true, "\(String(describing: reason))")
        }
    }

    @Test("profile names: strict and legacy; anything else is an error naming the profiles")
    func names() {
        #expect(throws: HubTLSError.unknownProfile("modern")) { try HubTLSProfile(named: "modern") }
        #expect(HubTLSError.unknownProfile("modern").description == "'modern' is not a TLS profile; the profiles are strict and legacy")
        #expect(HubTLSProfile.strict.minimumVersion == .tlsv12 && HubTLSProfile.legacy.minimumVersion == .tlsv1)
    }
}
