import ArgumentParser
import Foundation
@testable import HarnessCLI
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import NIOPosix
import Testing
import X509

/// `harness cert` and the X.509 flags of `harness hub`, in-process.
@Suite struct CertCommandTests {
    func temporaryFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("harness-cert-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("cert ca and cert device make a CA, a device certificate it signed (CN = device id) and a self-signed one; keys are 0600 and match; no file is overwritten")
    func makesCertificates() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(await HarnessCommand.runMain(arguments: ["cert", "ca", "--out", folder, "--name", "bench CA"]) == 0)
        #expect(await HarnessCommand.runMain(arguments: ["cert", "device", "--id", "cam-1", "--ca", "\(folder)/device-ca.pem", "--ca-key", "\(folder)/device-ca-key.pem", "--out", folder]) == 0)
        #expect(await HarnessCommand.runMain(arguments: ["cert", "device", "--id", "cam-2", "--out", folder]) == 0)
        let authority = try CertificateFiles.certificateAuthority(at: "\(folder)/device-ca.pem")
        #expect(authority.name == "bench CA")
        let (signed, _) = try CertificateFiles.matchingPair(certificate: "\(folder)/cam-1.pem", key: "\(folder)/cam-1-key.pem")
        #expect(CertificateFiles.isIssued(signed, by: authority))
        #expect(signed.subject.commonNameText == "cam-1")
        let (selfSigned, _) = try CertificateFiles.matchingPair(certificate: "\(folder)/cam-2.pem", key: "\(folder)/cam-2-key.pem")
        #expect(selfSigned.issuer == selfSigned.subject)
        for key in ["device-ca-key.pem", "cam-1-key.pem", "cam-2-key.pem"] {
            let mode = (try FileManager.default.attributesOfItem(atPath: "\(folder)/\(key)")[.posixPermissions] as? NSNumber)?.intValue
            #expect(mode == 0o600, "\(key)")
        }
        let before = try String(contentsOfFile: "\(folder)/device-ca-key.pem", encoding: .utf8)
        #expect(await HarnessCommand.runMain(arguments: ["cert", "ca", "--out", folder]) == 2)
        #expect(try String(contentsOfFile: "\(folder)/device-ca-key.pem", encoding: .utf8) == before)
        let lines = try Cert.thumbprintLines(of: "\(folder)/cam-2.pem")
        let prints = CertificateFiles.thumbprints(of: selfSigned)
        #expect(lines == ["SHA-1 thumbprint:   \(prints.sha1)", "SHA-256 thumbprint: \(prints.sha256)"])
    }

    @Test("bad certificate input exits 2 naming the file or flag: not PEM, a key of another certificate, a CA key without its CA, a bad thumbprint, an unknown TLS profile")
    func badInput() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(await HarnessCommand.runMain(arguments: ["cert", "ca", "--out", folder]) == 0)
        #expect(await HarnessCommand.runMain(arguments: ["cert", "device", "--id", "other", "--out", folder]) == 0)
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: "\(folder)/junk.pem"))
        #expect(await HarnessCommand.runMain(arguments: ["cert", "thumbprint", "\(folder)/junk.pem"]) == 2)
        #expect(await HarnessCommand.runMain(arguments: ["cert", "device", "--id", "d", "--ca", "\(folder)/device-ca.pem", "--ca-key", "\(folder)/other-key.pem", "--out", folder]) == 2)
        #expect(await HarnessCommand.runMain(arguments: ["cert", "device", "--id", "d", "--ca", "\(folder)/device-ca.pem", "--out", folder]) == 2)
        #expect(await HarnessCommand.runMain(arguments: ["cert", "device", "--id", "bad id", "--out", folder]) == 2)
        for arguments in [
            ["hub", "--x509-device", "d:XYZ"],
            ["hub", "--x509-device", "d"],
            ["hub", "--x509-ca-device", "d"],
            ["hub", "--x509-ca", "\(folder)/junk.pem", "--x509-ca-device", "d"],
            ["hub", "--x509-ca", "\(folder)/other.pem", "--x509-ca-device", "d"],
            ["hub", "--tls-profile", "modern"],
        ] {
            #expect(await HarnessCommand.runMain(arguments: arguments) == 2, "\(arguments)")
        }
        // The messages name the file and the problem, never key material.
        do {
            _ = try CertificateFiles.matchingPair(certificate: "\(folder)/device-ca.pem", key: "\(folder)/other-key.pem")
            Issue.record("a mismatched key was accepted")
        } catch {
            #expect(error.description == "\(folder)/other-key.pem: this private key does not belong to the certificate \(folder)/device-ca.pem")
        }
        let command = try #require(try HarnessCommand.parseAsRoot(["hub", "--x509-ca", "\(folder)/other.pem", "--x509-ca-device", "d"]) as? Hub)
        #expect(throws: InvalidInput.self) { try command.makeSettings() }
    }

    @Test("hub: X.509 devices by thumbprint and by CA, a verified CA and the legacy profile reach the registry, and the banner says how to connect")
    func hubFlags() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(await HarnessCommand.runMain(arguments: ["cert", "ca", "--out", folder, "--name", "flags CA"]) == 0)
        let thumbprint = String(repeating: "ab", count: 20)
        let secondary = String(repeating: "CD", count: 32)
        let command = try #require(try HarnessCommand.parseAsRoot([
            "hub", "--port", "0", "--state-file", "\(folder)/state.json", "--tls-profile", "legacy",
            "--x509-device", "cam-self:\(thumbprint),\(secondary)", "--x509-ca", "\(folder)/device-ca.pem", "--x509-ca-device", "cam-ca", "--device", "sas-device",
        ]) as? Hub)
        let settings = try command.makeSettings()
        #expect(settings.tls.profile == .legacy)
        #expect(settings.certificateAuthorities.map(\.name) == ["flags CA"])
        let session = try await HubSession.start(settings, group: MultiThreadedEventLoopGroup.singleton, log: HubLog(showsPackets: false) { _ in })
        defer { Task { await session.stop() } }
        let selfRecord = try await session.hub.device(try DeviceID("cam-self"))
        #expect(selfRecord?.authentication == .selfSigned(primary: try CertificateThumbprint(parsing: thumbprint), secondary: try CertificateThumbprint(parsing: secondary)))
        #expect(try await session.hub.device(try DeviceID("cam-ca"))?.authentication == .certificateAuthority)
        #expect(try await session.hub.device(try DeviceID("sas-device"))?.authentication == .sharedAccessKey)
        let banner = session.banner(showKeys: false).joined(separator: "\n")
        #expect(banner.contains("TLS profile legacy"))
        #expect(banner.contains("device cam-self (X.509 self-signed, thumbprint \(thumbprint.uppercased()) (secondary \(secondary))): HostName=simulated.azure-devices.net;DeviceId=cam-self;x509=true"), "\(banner)")
        #expect(banner.contains("device cam-ca (X.509 CA-signed, certificate CN=cam-ca)"))
        #expect(banner.contains("create_from_x509_certificate"))
        #expect(banner.contains("X.509 CA (verified):   flags CA"))
        #expect(banner.contains("server chain:          root"))
        // X.509 devices have no key to put in a connection string.
        #expect(session.state.devices["cam-self"] == nil && session.state.devices["sas-device"] != nil)
        await session.stop()
    }
}
