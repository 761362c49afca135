import Foundation
import HarnessTestSupport
import IoTHubCore
@testable import IoTHubSimulationCore
import MQTTCore
import NIOCore
import Testing
import X509

/// X.509 device authentication in the pure hub: what the TLS handshake presented is judged at
/// CONNECT (thumbprints for self-signed devices, a chain to a verified CA for CA-signed ones),
/// and every refusal is CONNACK 5 with the reason reported.
@Suite struct X509AuthenticationTests {
    static let host = HubFixtures.hostName
    let now = HubFixtures.start
    let selfID = HubFixtures.deviceIDLiteral("self-device")
    let caID = HubFixtures.deviceIDLiteral("ca-device")

    /// A CONNECT as the Python SDK sends it for an X.509 device: no password.
    static func connect(_ device: DeviceID) -> ConnectPacket {
        ConnectPacket(protocolLevel: 4, clientID: device.string, cleanSession: false, keepAlive: 60, username: "\(host)/\(device)/?api-version=2021-04-12", password: nil)
    }

    /// Opens a connection that presented `chain`, sends CONNECT for `device`, and returns the
    /// CONNACK code and the refusal reason, if any.
    func attempt(_ device: DeviceID, presenting chain: [[UInt8]]?, on machine: inout HubStateMachine, at time: HubTime? = nil, connection: ConnectionID = 1) -> (ConnectReturnCode?, String?) {
        let at = time ?? now
        _ = machine.connectionOpened(connection, at: at)
        if let chain { machine.clientCertificatePresented(chain, on: connection) }
        let actions = machine.packetReceived(.connect(Self.connect(device)), on: connection, at: at)
        var code: ConnectReturnCode?
        if case .connack(let connack) = actions.sentPackets.first { code = connack.returnCode }
        let reason = actions.compactMap { action -> String? in
            if case .emit(.connectionRefused(_, _, _, let reason)) = action { return reason }
            return nil
        }.first
        return (code, reason)
    }

    func machine(selfSigned: DeviceAuthentication, authorities: [RegisteredCertificateAuthority] = []) -> HubStateMachine {
        HubStateMachine(
            configuration: HubConfiguration(hostName: Self.host),
            registry: DeviceRegistry(
                devices: [
                    DeviceRecord(id: selfID, primaryKey: .random(), authentication: selfSigned),
                    DeviceRecord(id: caID, primaryKey: .random(), authentication: .certificateAuthority),
                    DeviceRecord(id: HubFixtures.deviceID, primaryKey: HubFixtures.key),
                ],
                certificateAuthorities: authorities
            )
        )
    }

    @Test("a self-signed device is accepted by its primary SHA-1 or its secondary SHA-256 thumbprint, whatever its common name, with no token to expire")
    func thumbprints() throws {
        let device = try TestCertificate.make("anything")
        let sha1 = CertificateThumbprint(of: device.der, algorithm: .sha1)
        let sha256 = CertificateThumbprint(of: device.der, algorithm: .sha256)
        let other = try CertificateThumbprint(parsing: String(repeating: "0", count: 64))
        var byPrimary = machine(selfSigned: .selfSigned(primary: sha1, secondary: nil))
        #expect(attempt(selfID, presenting: [device.der], on: &byPrimary).0 == .accepted)
        #expect(byPrimary.tokenExpiry(of: selfID) == nil)
        // No token to expire: pinging for ten hours keeps it connected.
        for step in 1...1200 {
            let time = now + .seconds(30 * step)
            _ = byPrimary.packetReceived(.pingreq, on: 1, at: time)
            #expect(byPrimary.tick(at: time).closes.isEmpty)
        }
        #expect(byPrimary.isConnected(selfID))
        var bySecondary = machine(selfSigned: .selfSigned(primary: other, secondary: sha256))
        #expect(attempt(selfID, presenting: [device.der], on: &bySecondary).0 == .accepted)
    }

    @Test("thumbprints parse as the portal and openssl show them, and anything else is refused with the reason")
    func thumbprintParsing() throws {
        let parsed = try CertificateThumbprint(parsing: "ab:cd:" + String(repeating: "01", count: 18))
        #expect(parsed.algorithm == .sha1 && parsed.hex == "ABCD" + String(repeating: "01", count: 18))
        #expect(throws: CertificateThumbprintError.self) { try CertificateThumbprint(parsing: "xyz") }
        #expect(throws: CertificateThumbprintError.self) { try CertificateThumbprint(parsing: String(repeating: "a", count: 41)) }
        #expect(throws: CertificateThumbprintError.self) { try CertificateThumbprint(parsing: "") }
    }

    @Test("self-signed refusals: no certificate, another thumbprint, an expired or not yet valid certificate, an unreadable chain; each CONNACK 5 with the reason")
    func selfSignedRefusals() throws {
        let device = try TestCertificate.make("self-device")
        let registered = machine(selfSigned: .selfSigned(primary: CertificateThumbprint(of: device.der, algorithm: .sha256), secondary: nil))
        var state = registered
        let none = attempt(selfID, presenting: nil, on: &state)
        #expect(none.0 == .notAuthorized)
        #expect(none.1?.contains("none was presented in the TLS handshake") == true, "\(String(describing: none.1))")

        state = registered
        let stranger = try TestCertificate.make("self-device")
        let wrong = attempt(selfID, presenting: [stranger.der], on: &state)
        #expect(wrong.0 == .notAuthorized)
        #expect(wrong.1?.contains("is neither the primary nor the secondary thumbprint") == true)

        let expiring = try TestCertificate.make("self-device", until: Date(timeIntervalSince1970: TimeInterval(now.unixSeconds + 60)))
        state = machine(selfSigned: .selfSigned(primary: CertificateThumbprint(of: expiring.der, algorithm: .sha1), secondary: nil))
        #expect(attempt(selfID, presenting: [expiring.der], on: &state).0 == .accepted)
        let late = attempt(selfID, presenting: [expiring.der], on: &state, at: now + .seconds(120), connection: 2)
        #expect(late.0 == .notAuthorized)
        #expect(late.1?.contains("the device certificate expired") == true)

        let future = try TestCertificate.make("self-device", from: Date(timeIntervalSince1970: TimeInterval(now.unixSeconds + 3600)))
        state = machine(selfSigned: .selfSigned(primary: CertificateThumbprint(of: future.der, algorithm: .sha1), secondary: nil))
        #expect(attempt(selfID, presenting: [future.der], on: &state).1?.contains("is not valid before") == true)

        state = registered
        let garbage = attempt(selfID, presenting: [[0x30, 0x03, 0x01, 0x02, 0x03]], on: &state)
        #expect(garbage.0 == .notAuthorized)
        #expect(garbage.1?.contains("none was presented") == true)
    }

    @Test("a CA-signed device is accepted when its certificate chains, directly or through intermediates it sends, to a verified registered CA and names it")
    func caSigned() throws {
        let root = try TestCertificate.make("test root", isAuthority: true)
        let intermediate = try TestCertificate.make("test intermediate", issuer: root, isAuthority: true)
        let direct = try TestCertificate.make("ca-device", issuer: root)
        let viaIntermediate = try TestCertificate.make("ca-device", issuer: intermediate)
        let authority = RegisteredCertificateAuthority(name: "root", certificate: root.certificate)
        var state = machine(selfSigned: .sharedAccessKey, authorities: [authority])
        #expect(attempt(caID, presenting: [direct.der], on: &state).0 == .accepted)
        #expect(attempt(caID, presenting: [viaIntermediate.der, intermediate.der], on: &state, connection: 2).0 == .accepted)
        // The intermediate itself registered is enough too.
        var byIntermediate = machine(selfSigned: .sharedAccessKey, authorities: [RegisteredCertificateAuthority(name: "intermediate", certificate: intermediate.certificate)])
        #expect(attempt(caID, presenting: [viaIntermediate.der], on: &byIntermediate).0 == .accepted)
    }

    @Test("CA-signed refusals: another common name, an unregistered or unverified CA, a missing or non-CA intermediate, a forged signature, an expired CA")
    func caSignedRefusals() throws {
        let root = try TestCertificate.make("test root", isAuthority: true)
        let authority = RegisteredCertificateAuthority(name: "root", certificate: root.certificate)
        func refusal(_ chain: [[UInt8]], authorities: [RegisteredCertificateAuthority] = [authority], at time: HubTime? = nil) -> String? {
            var state = machine(selfSigned: .sharedAccessKey, authorities: authorities)
            let (code, reason) = attempt(caID, presenting: chain, on: &state, at: time)
            #expect(code == .notAuthorized)
            return reason
        }
        let otherName = try TestCertificate.make("someone-else", issuer: root)
        #expect(refusal([otherName.der])?.contains("common name 'someone-else' is not the device id 'ca-device'") == true)

        let strangerRoot = try TestCertificate.make("test root", isAuthority: true)
        let fromStranger = try TestCertificate.make("ca-device", issuer: strangerRoot)
        #expect(refusal([fromStranger.der])?.contains("does not chain to a CA registered on the hub") == true)

        let signed = try TestCertificate.make("ca-device", issuer: root)
        let unverified = RegisteredCertificateAuthority(name: "root", certificate: root.certificate, isVerified: false)
        #expect(refusal([signed.der], authorities: [unverified])?.contains("registered but not verified") == true)

        let intermediate = try TestCertificate.make("test intermediate", issuer: root, isAuthority: true)
        let leaf = try TestCertificate.make("ca-device", issuer: intermediate)
        #expect(refusal([leaf.der])?.contains("does not chain") == true)

        let notCA = try TestCertificate.make("test intermediate", issuer: root, isAuthority: false)
        let underNotCA = try TestCertificate.make("ca-device", issuer: notCA)
        #expect(refusal([underNotCA.der, notCA.der])?.contains("is not a CA certificate") == true)

        let shortRoot = try TestCertificate.make("short root", isAuthority: true, until: Date(timeIntervalSince1970: TimeInterval(now.unixSeconds - 10)))
        let underShort = try TestCertificate.make("ca-device", issuer: shortRoot)
        let shortAuthority = RegisteredCertificateAuthority(name: "short", certificate: shortRoot.certificate)
        #expect(refusal([underShort.der], authorities: [shortAuthority])?.contains("the registered CA 'short' expired") == true)

        #expect(refusal([])?.contains("none was presented") == true)
    }

    @Test("a SAS device that presents only a certificate is refused, with the reason saying it is registered for SAS; a SAS device with a token connects whatever certificate it presents")
    func sasDeviceWithCertificate() throws {
        let certificate = try TestCertificate.make("esp8266")
        var state = machine(selfSigned: .sharedAccessKey)
        let (code, reason) = attempt(HubFixtures.deviceID, presenting: [certificate.der], on: &state)
        #expect(code == .notAuthorized)
        #expect(reason?.contains("registered for SAS authentication") == true)
        _ = state.connectionOpened(2, at: now)
        state.clientCertificatePresented([certificate.der], on: 2)
        let actions = state.packetReceived(.connect(HubFixtures.connect()), on: 2, at: now)
        #expect(actions.sentPackets.first == .connack(ConnAckPacket(sessionPresent: false, returnCode: .accepted)))
    }

    @Test("changing a connected device's authentication drops it, as regenerating its keys does")
    func authenticationChange() throws {
        let device = try TestCertificate.make("self-device")
        var state = machine(selfSigned: .selfSigned(primary: CertificateThumbprint(of: device.der, algorithm: .sha1), secondary: nil))
        #expect(attempt(selfID, presenting: [device.der], on: &state).0 == .accepted)
        let other = try CertificateThumbprint(parsing: String(repeating: "1", count: 40))
        let actions = state.upsert(DeviceRecord(id: selfID, primaryKey: .random(), authentication: .selfSigned(primary: other, secondary: nil)), at: now)
        #expect(actions.closes == [1])
        #expect(!state.isConnected(selfID))
    }

    @Test("a TLS handshake failure ends the connection with the hub's reason, reported as a refusal")
    func tlsFailure() {
        var state = machine(selfSigned: .sharedAccessKey)
        _ = state.connectionOpened(7, at: now)
        let actions = state.tlsFailed(7, reason: "no cipher suite in common", at: now)
        #expect(actions.closes == [7])
        #expect(actions.contains(.emit(.disconnected(nil, connection: 7, reason: .tlsRefused("no cipher suite in common")))))
        #expect(DisconnectReason.tlsRefused("x").description == "TLS handshake failed: x")
    }
}
