import Foundation
import HarnessTestSupport
import IoTHubCore
@testable import IoTHubSimulation
@testable import IoTHubSimulationCore
import MQTTCore
import NIOCore
import NIOPosix
import NIOSSL
import Testing

/// The hub's TLS listener on a real loopback socket: versions, trust, user PEM files.
@Suite struct HubTLSTests {
    let group = MultiThreadedEventLoopGroup.singleton

    func withTLSHub(
        _ listeners: HubListeners = HubListeners(),
        _ body: (SimulatedHub, HubEndpoints) async throws -> Void
    ) async throws {
        let hub = SimulatedHub(
            configuration: HubConfiguration(hostName: HubFixtures.hostName),
            registry: DeviceRegistry(devices: [DeviceRecord(id: HubFixtures.deviceID, primaryKey: HubFixtures.key)]),
            group: group,
            clock: HubClock(start: HubFixtures.start)
        )
        let endpoints = try await hub.start(listeners)
        do {
            try await body(hub, endpoints)
        } catch {
            await hub.stop()
            throw error
        }
        await hub.stop()
    }

    /// Connects over TLS, sends CONNECT and returns the client and its first packet.
    func connect(port: Int, tls: MQTTTestClient.TLS) async throws -> (MQTTTestClient, MQTTPacket?) {
        let client = try await MQTTTestClient.connect(port: port, group: group, tls: tls)
        try? await client.send(.connect(HubFixtures.connect()))
        return (client, await client.receive())
    }

    @Test("by default the hub listens on TLS only, with a CA file it made for localhost and 127.0.0.1")
    func defaults() async throws {
        try await withTLSHub { hub, endpoints in
            #expect(endpoints.plainPort == nil)
            let port = try #require(endpoints.tlsPort)
            #expect(port > 0)
            let caPath = try #require(endpoints.caCertificatePath)
            #expect(hub.caCertificatePath == caPath)
            let pem = try String(contentsOfFile: caPath, encoding: .utf8)
            #expect(pem.hasPrefix("-----BEGIN CERTIFICATE-----"))
            // The certificate names 127.0.0.1 as well as localhost.
            let (client, answer) = try await connect(port: port, tls: .init(trustedCAPath: caPath, serverHostname: nil))
            #expect(answer == .connack(ConnAckPacket(returnCode: .accepted)))
            await client.close()
        }
    }

    @Test("a TLS 1.2-only client and a TLS 1.3-only client both connect", arguments: [TLSVersion.tlsv12, .tlsv13])
    func versions(version: TLSVersion) async throws {
        try await withTLSHub { _, endpoints in
            let tls = MQTTTestClient.TLS(trustedCAPath: endpoints.caCertificatePath, minimumVersion: version, maximumVersion: version)
            let (client, answer) = try await connect(port: try #require(endpoints.tlsPort), tls: tls)
            #expect(answer == .connack(ConnAckPacket(returnCode: .accepted)))
            #expect(await client.negotiatedTLSVersion() == version)
            await client.close()
        }
    }

    @Test("a TLS 1.1-only client is refused in the handshake, as on the real hub since August 2025; it never counts as connected")
    func oldVersion() async throws {
        try await withTLSHub { _, endpoints in
            let tls = MQTTTestClient.TLS(trustedCAPath: endpoints.caCertificatePath, minimumVersion: .tlsv1, maximumVersion: .tlsv11)
            do {
                _ = try await MQTTTestClient.connect(port: try #require(endpoints.tlsPort), group: group, tls: tls)
                Issue.record("a TLS 1.1 handshake succeeded")
            } catch {
                #expect("\(error)".contains("TLS handshake failed"), "\(error)")
            }
        }
    }

    @Test("a client that does not trust the hub's CA fails the handshake, says why in plain words, and never sends CONNECT")
    func untrusted() async throws {
        try await withTLSHub { _, endpoints in
            do {
                _ = try await MQTTTestClient.connect(port: try #require(endpoints.tlsPort), group: group, tls: .init(trustedCAPath: nil))
                Issue.record("the handshake succeeded without the hub's CA")
            } catch {
                #expect("\(error)".contains("TLS handshake failed: the server") && "\(error)".contains("certificate is not trusted (CERTIFICATE_VERIFY_FAILED)"), "\(error)")
            }
        }
    }

    @Test("plain TCP runs beside TLS when asked for, with the same rules")
    func plainBesideTLS() async throws {
        try await withTLSHub(HubListeners(plainPort: 0)) { hub, endpoints in
            let plain = try #require(endpoints.plainPort)
            #expect(hub.port == plain)
            let client = try await MQTTTestClient.connect(port: plain, group: group)
            try await client.send(.connect(HubFixtures.connect(key: DeviceKey(bytes: Array(repeating: 9, count: 32)))))
            #expect(await client.receive() == .connack(ConnAckPacket(returnCode: .notAuthorized)))
            let (secure, answer) = try await connect(port: try #require(endpoints.tlsPort), tls: .init(trustedCAPath: endpoints.caCertificatePath))
            #expect(answer == .connack(ConnAckPacket(returnCode: .accepted)))
            await secure.close()
        }
    }

    @Test("user PEM files: the hub serves that certificate and reports that CA")
    func pemFiles() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let made = try HubCertificateFactory.make(hostNames: ["localhost"], ipAddresses: ["127.0.0.1", "::1"], now: Date())
        let paths = ["cert.pem": made.serverCertificatePEM, "key.pem": made.serverPrivateKeyPEM, "ca.pem": made.caCertificatePEM]
        for (name, text) in paths { try Data(text.utf8).write(to: URL(fileURLWithPath: "\(folder)/\(name)")) }
        let tls = HubTLSConfiguration(identity: .pemFiles(certificate: "\(folder)/cert.pem", privateKey: "\(folder)/key.pem", certificateAuthority: "\(folder)/ca.pem"))
        try await withTLSHub(HubListeners(tls: tls)) { _, endpoints in
            #expect(endpoints.caCertificatePath == "\(folder)/ca.pem")
            let (client, answer) = try await connect(port: try #require(endpoints.tlsPort), tls: .init(trustedCAPath: "\(folder)/ca.pem"))
            #expect(answer == .connack(ConnAckPacket(returnCode: .accepted)))
            await client.close()
        }
    }

    @Test("missing or broken PEM files are reported with their path")
    func badPEMFiles() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data("not a certificate".utf8).write(to: URL(fileURLWithPath: "\(folder)/junk.pem"))
        let missing = HubTLSConfiguration(identity: .pemFiles(certificate: "\(folder)/none.pem", privateKey: "\(folder)/none.pem"))
        #expect(throws: HubTLSError.unreadableFile(path: "\(folder)/none.pem", reason: "no such file")) {
            _ = try HubTLSContext.make(missing, now: Date())
        }
        let junk = HubTLSConfiguration(identity: .pemFiles(certificate: "\(folder)/junk.pem", privateKey: "\(folder)/junk.pem"))
        #expect(throws: HubTLSError.self) { _ = try HubTLSContext.make(junk, now: Date()) }
        #expect(throws: HubTLSError.invalidIPAddress("localhost")) {
            _ = try HubCertificateFactory.make(hostNames: [], ipAddresses: ["localhost"], now: Date())
        }
    }

    @Test("a kept CA that is damaged, mismatched or open to others is an error naming the file, never silently replaced")
    func damagedPersistentCA() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-tls-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let kept = "\(folder)/ca-key.pem"
        let tls = HubTLSConfiguration(identity: .generated(directory: folder))
        _ = try HubTLSContext.make(tls, now: Date())
        let attributes = try FileManager.default.attributesOfItem(atPath: kept)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let folderAttributes = try FileManager.default.attributesOfItem(atPath: folder)
        #expect((folderAttributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        let original = try String(contentsOfFile: kept, encoding: .utf8)
        let caPEM = try String(contentsOfFile: "\(folder)/ca.pem", encoding: .utf8)
        #expect(original.hasSuffix(caPEM) && original.contains("PRIVATE KEY"))
        // A second start reuses the CA; a lost ca.pem is written again from the kept file.
        try FileManager.default.removeItem(atPath: "\(folder)/ca.pem")
        _ = try HubTLSContext.make(tls, now: Date())
        #expect(try String(contentsOfFile: "\(folder)/ca.pem", encoding: .utf8) == caPEM)
        func expectRefused(_ contents: String, _ reason: String, mode: Int = 0o600) throws {
            try Data(contents.utf8).write(to: URL(fileURLWithPath: kept))
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: kept)
            #expect(throws: HubTLSError.invalidPEM(path: kept, reason: reason)) { _ = try HubTLSContext.make(tls, now: Date()) }
            #expect(try String(contentsOfFile: kept, encoding: .utf8) == contents, "the kept file was replaced")
        }
        // Another CA's key with this certificate.
        let other = try HubCertificateAuthority.make(now: Date(), validity: 3600)
        try expectRefused(try other.privateKeyPEM + caPEM, "the private key does not belong to the CA certificate")
        try expectRefused("garbage\n" + caPEM, "no P-256 private key could be read")
        try expectRefused(try other.privateKeyPEM, "it holds no CA certificate after the key; delete it to make a new CA")
        try expectRefused(original, "others may read or write it; a CA key must be yours alone (chmod 600)", mode: 0o644)
        // A CA near its end is replaced by a new one (its server certificates would outlive it).
        try Data(original.utf8).write(to: URL(fileURLWithPath: kept))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: kept)
        _ = try HubTLSContext.make(tls, now: Date().addingTimeInterval(5 * 365 * 24 * 3600 - 24 * 3600))
        #expect(try String(contentsOfFile: kept, encoding: .utf8) != original)
        #expect(try String(contentsOfFile: "\(folder)/ca.pem", encoding: .utf8) != caPEM)
    }
}
