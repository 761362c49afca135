import Foundation
import HarnessTestSupport
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import NIOPosix
import Testing
import X509

/// The official Python SDK as an X.509 device (`create_from_x509_certificate`), in the
/// serialized SDK suite because it binds 127.0.0.1:8883 too.
extension IoTHubSDKTests {
    /// Test certificates written to a temporary folder: a CA, a device it signed, a
    /// self-signed device.
    struct X509Files {
        let folder: String
        let ca: DeviceCertificateFactory.Issued
        let caSigned: (certificate: String, key: String)
        let selfSigned: (certificate: String, key: String)
        let selfSignedIssued: DeviceCertificateFactory.Issued

        init(caSignedID: DeviceID, selfSignedID: DeviceID) throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-x509-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let now = Date()
            ca = try DeviceCertificateFactory.makeCertificateAuthority(commonName: "sdk test CA", now: now, validity: 3600)
            let caKey = try X509PrivateKey(pemEncoded: ca.privateKeyPEM)
            let signed = try DeviceCertificateFactory.makeDeviceCertificate(deviceID: caSignedID, issuer: (ca.certificate, caKey), now: now, validity: 3600)
            selfSignedIssued = try DeviceCertificateFactory.makeDeviceCertificate(deviceID: selfSignedID, issuer: nil, now: now, validity: 3600)
            caSigned = try Self.write(signed, "ca-signed", in: folder)
            selfSigned = try Self.write(selfSignedIssued, "self-signed", in: folder)
        }

        /// Writes a certificate and its key as `name.pem` and `name-key.pem`.
        static func write(_ issued: DeviceCertificateFactory.Issued, _ name: String, in folder: String) throws -> (certificate: String, key: String) {
            let certificate = "\(folder)/\(name).pem", key = "\(folder)/\(name)-key.pem"
            try Data(issued.certificatePEM.utf8).write(to: URL(fileURLWithPath: certificate))
            try Data(issued.privateKeyPEM.utf8).write(to: URL(fileURLWithPath: key))
            return (certificate, key)
        }

        func remove() { try? FileManager.default.removeItem(atPath: folder) }
    }

    @Test("X.509: the SDK connects with create_from_x509_certificate, CA-signed and self-signed (secondary SHA-256 and primary SHA-1 thumbprints), and receives a C2D; a wrong thumbprint is refused with CONNACK 5 and the reason")
    func pythonSDKX509() async throws {
        let python = try Repository.python()
        let script = try #require(Bundle.module.url(forResource: "sdk_x509_device", withExtension: "py", subdirectory: "Python")).path
        let caDevice = HubFixtures.deviceIDLiteral("x509-ca-device")
        let selfDevice = HubFixtures.deviceIDLiteral("x509-self-device")
        let wrongDevice = HubFixtures.deviceIDLiteral("x509-wrong-device")
        let sha1Device = HubFixtures.deviceIDLiteral("x509-sha1-device")
        let files = try X509Files(caSignedID: caDevice, selfSignedID: selfDevice)
        defer { files.remove() }
        let (sha1, sha256) = CertificateFiles.thumbprints(of: files.selfSignedIssued.certificate)
        let other = try CertificateThumbprint(parsing: String(repeating: "AB", count: 20))
        let events = Events()
        let registry = DeviceRegistry(
            devices: [
                DeviceRecord(id: caDevice, primaryKey: .random(), authentication: .certificateAuthority),
                DeviceRecord(id: selfDevice, primaryKey: .random(), authentication: .selfSigned(primary: other, secondary: sha256)),
                DeviceRecord(id: sha1Device, primaryKey: .random(), authentication: .selfSigned(primary: sha1, secondary: nil)),
                DeviceRecord(id: wrongDevice, primaryKey: .random(), authentication: .selfSigned(primary: other, secondary: nil)),
            ],
            certificateAuthorities: [RegisteredCertificateAuthority(name: "sdk test CA", certificate: files.ca.certificate)]
        )
        let hub = SimulatedHub(
            configuration: HubConfiguration(hostName: Self.hostName),
            registry: registry,
            group: MultiThreadedEventLoopGroup.singleton,
            observer: { events.append($0) }
        )
        let endpoints = try await Self.startOnSDKPort(hub)
        let ca = try #require(endpoints.caCertificatePath)
        defer { Task { await hub.stop() } }

        func receivesC2D(_ device: DeviceID, _ pair: (certificate: String, key: String)) async throws {
            let sdk = try ExternalProcess(python, [script, Self.hostName, device.string, pair.certificate, pair.key, ca])
            defer { sdk.terminate() }
            guard await sdk.waitForLine(startingWith: "CONNECTED", timeout: .seconds(60)) != nil else {
                Issue.record("\(device) did not connect:\n\(sdk.transcript)\n\(events.all)")
                return
            }
            let id = "c2d-\(device)"
            try await hub.sendCloudToDevice(CloudToDeviceMessage(payload: ByteBuffer(string: "on"), messageID: id), to: device)
            let line = await sdk.waitForLine(startingWith: "C2D \(id) ", timeout: .seconds(15))
            #expect(line == "C2D \(id) on", "\(sdk.transcript)")
            sdk.send("quit")
            #expect(await sdk.wait(timeout: .seconds(20)) == 0, "\(sdk.transcript)")
            #expect(sdk.lines(startingWith: "ERROR").isEmpty, "\(sdk.transcript)")
        }
        try await receivesC2D(caDevice, files.caSigned)
        try await receivesC2D(selfDevice, files.selfSigned)
        // A thumbprint device's certificate need not name it: the thumbprint is what counts.
        try await receivesC2D(sha1Device, files.selfSigned)
        #expect(events.all.contains { if case .connected(caDevice, _, _, _, _) = $0 { true } else { false } })
        #expect(events.all.contains { if case .connected(selfDevice, _, _, _, _) = $0 { true } else { false } })

        // The same certificate for a device registered with another thumbprint.
        let refused = try ExternalProcess(python, [script, Self.hostName, wrongDevice.string, files.selfSigned.certificate, files.selfSigned.key, ca])
        defer { refused.terminate() }
        let failed = await refused.waitForLine(startingWith: "CONNECT_FAILED", timeout: .seconds(60))
        #expect(failed != nil, "\(refused.transcript)")
        let refusal = events.all.compactMap { event -> (ConnectReturnCode, String)? in
            if case .connectionRefused(wrongDevice.string, _, let code, let reason) = event { return (code, reason) }
            return nil
        }.first
        #expect(refusal?.0 == .notAuthorized)
        #expect(refusal?.1.contains("is neither the primary nor the secondary thumbprint registered") == true, "\(String(describing: refusal))")
        #expect(refusal?.1.contains("PRIVATE") == false)
        await hub.stop()
    }
}

