import Foundation
import HarnessTestSupport
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import NIOPosix
import Testing

/// The official Python SDK's `ProvisioningDeviceClient` against the Device Provisioning
/// Service on the simulated hub's listener, in the serialized SDK suite because it binds
/// 127.0.0.1:8883 too.
extension IoTHubSDKTests {
    @Test("DPS: the SDK registers with create_from_symmetric_key (individual enrollment, then a group member with its derived key) and with create_from_x509_certificate (individual by thumbprint, group by CA), connects to the assigned hub with what DPS returned and receives a C2D; a wrong key fails registration with 401 and the reason in the hub's events")
    func pythonSDKProvisioning() async throws {
        let python = try Repository.python()
        let script = try #require(Bundle.module.url(forResource: "sdk_dps_device", withExtension: "py", subdirectory: "Python")).path
        let scope = "0ne00SDK001"
        let individualKey = DeviceKey.random(), groupKey = DeviceKey.random()
        let events = Events()
        let files = try X509Files(caSignedID: HubFixtures.deviceIDLiteral("dps-x509-member"), selfSignedID: HubFixtures.deviceIDLiteral("dps-x509-sensor"))
        defer { files.remove() }
        var configuration = HubConfiguration(hostName: Self.hostName)
        configuration.provisioning = ProvisioningConfiguration(
            idScope: scope,
            individualEnrollments: [IndividualEnrollment(registrationID: try RegistrationID("dps-sensor"), primaryKey: individualKey)],
            groupEnrollments: [GroupEnrollment(name: "fleet", primaryKey: groupKey)]
        )
        configuration.provisioning?.x509IndividualEnrollments = [
            X509IndividualEnrollment(registrationID: try RegistrationID("dps-x509-sensor"), primary: CertificateFiles.thumbprints(of: files.selfSignedIssued.certificate).sha256)
        ]
        configuration.provisioning?.x509GroupEnrollments = [
            X509GroupEnrollment(name: "factory", authority: RegisteredCertificateAuthority(name: "sdk test CA", certificate: files.ca.certificate))
        ]
        let hub = SimulatedHub(configuration: configuration, registry: DeviceRegistry(), group: MultiThreadedEventLoopGroup.singleton, observer: { events.append($0) })
        let endpoints = try await Self.startOnSDKPort(hub)
        let ca = try #require(endpoints.caCertificatePath)

        func provisionsAndReceivesC2D(_ registrationID: String, key: DeviceKey? = nil, certificate: (certificate: String, key: String)? = nil) async throws {
            let credential = certificate.map { "x509=\($0.certificate),\($0.key)" } ?? key?.base64 ?? ""
            let sdk = try ExternalProcess(python, [script, "localhost", scope, registrationID, credential, ca])
            defer { sdk.terminate() }
            let registered = await sdk.waitForLine(startingWith: "REGISTERED", timeout: .seconds(60))
            #expect(registered == "REGISTERED assigned \(Self.hostName) \(registrationID)", "\(sdk.transcript)\n\(events.all)")
            guard await sdk.waitForLine(startingWith: "CONNECTED", timeout: .seconds(60)) != nil else {
                Issue.record("\(registrationID) did not connect to the hub:\n\(sdk.transcript)\n\(events.all)")
                return
            }
            let device = try DeviceID(registrationID)
            let id = "c2d-\(registrationID)"
            try await hub.sendCloudToDevice(CloudToDeviceMessage(payload: ByteBuffer(string: "on"), messageID: id), to: device)
            let line = await sdk.waitForLine(startingWith: "C2D \(id) ", timeout: .seconds(15))
            #expect(line == "C2D \(id) on", "\(sdk.transcript)")
            sdk.send("quit")
            #expect(await sdk.wait(timeout: .seconds(20)) == 0, "\(sdk.transcript)")
            #expect(sdk.lines(startingWith: "ERROR").isEmpty, "\(sdk.transcript)")
        }
        do {
            try await provisionsAndReceivesC2D("dps-sensor", key: individualKey)
            try await provisionsAndReceivesC2D("fleet-member-3", key: DeviceKey.derived(fromGroupKey: groupKey, registrationID: "fleet-member-3"))
            #expect(events.all.contains { if case .provisioning(.assigned(_, let id, _, _)) = $0 { id.string == "fleet-member-3" } else { false } })
            // X.509: an individual enrollment by thumbprint, and a group by its CA.
            try await provisionsAndReceivesC2D("dps-x509-sensor", certificate: files.selfSigned)
            try await provisionsAndReceivesC2D("dps-x509-member", certificate: files.caSigned)

            // The group key itself is not a member's key: 401, and the SDK gives up at once.
            let refused = try ExternalProcess(python, [script, "localhost", scope, "fleet-member-4", groupKey.base64, ca])
            defer { refused.terminate() }
            let failed = await refused.waitForLine(startingWith: "REGISTER_FAILED", timeout: .seconds(60))
            #expect(failed != nil, "\(refused.transcript)")
            let reasons = events.all.compactMap { event -> String? in
                if case .provisioning(.refused(let id, 401, let reason)) = event, id?.string == "fleet-member-4" { return reason }
                return nil
            }
            #expect(reasons.first?.contains("signature") == true, "\(reasons)")
            #expect(try await hub.device(try DeviceID("fleet-member-4")) == nil)
        } catch {
            await hub.stop()
            throw error
        }
        await hub.stop()
    }
}
