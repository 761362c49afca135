import ArgumentParser
import Foundation
@testable import HarnessCLI
import HarnessTestSupport
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import NIOPosix
import Testing

/// `harness hub --dps-scope ...`: the Device Provisioning Service flags, their mistakes, and
/// the banner.
@Suite struct HubProvisioningCommandTests {
    static let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    static let other = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc="

    static func parse(_ scope: String?, enrollments: [String] = [], groups: [String] = [], devices: [String] = [], x509: [String] = []) throws(InvalidInput) -> ProvisioningConfiguration? {
        let parsed = try devices.map { text throws(InvalidInput) in try DeviceArgument.parse(text) }
        return try ProvisioningArguments(scope: scope, enrollments: enrollments, groups: groups)
            .configuration(devices: parsed, certificateDevices: x509.map { HubFixtures.deviceIDLiteral($0) })
    }

    @Test("enrollments and groups become the DPS configuration; a --device with the same key as its enrollment is fine; a registration id may hold . and _")
    func configuration() throws {
        let configuration = try #require(
            try Self.parse("0ne0000ABCD", enrollments: ["sensor-1:\(Self.key)", "urn.dev_2:\(Self.key)"], groups: ["fleet:\(Self.other)"], devices: ["sensor-1:\(Self.key)"])
        )
        #expect(configuration.idScope == "0ne0000ABCD")
        #expect(configuration.individualEnrollments.map(\.registrationID.string) == ["sensor-1", "urn.dev_2"])
        #expect(configuration.individualEnrollments.first?.primaryKey.base64 == Self.key)
        #expect(configuration.groupEnrollments.map(\.name) == ["fleet"])
        #expect(try Self.parse(nil) == nil)
    }

    @Test(
        "mistakes name the flag and say what is wrong",
        arguments: [
            (nil, ["d:\(key)"], [], [], [], "--dps-enrollment needs --dps-scope"),
            (nil, [], ["g:\(key)"], [], [], "--dps-group needs --dps-scope"),
            ("bad scope!", [], ["g:\(key)"], [], [], "--dps-scope 'bad scope!' is not an ID scope"),
            ("0ne1", [], [], [], [], "--dps-scope needs at least one --dps-enrollment, --dps-group, --dps-x509-enrollment or --dps-x509-group"),
            ("0ne1", ["Upper:\(key)"], [], [], [], "--dps-enrollment: registration id 'Upper' is not valid"),
            ("0ne1", ["d:not base64!"], [], [], [], "--dps-enrollment 'd':"),
            ("0ne1", ["nokey"], [], [], [], "--dps-enrollment 'nokey' is not registrationId:base64key"),
            ("0ne1", ["d:\(key)", "d:\(other)"], [], [], [], "--dps-enrollment 'd' is given twice"),
            ("0ne1", ["d:\(key)"], [], ["d:\(other)"], [], "the hub already has device 'd' (--device) with another key"),
            ("0ne1", ["d:\(key)"], [], ["d"], [], "the hub already has device 'd' (--device) with another key"),
            ("0ne1", ["d:\(key)"], [], [], ["d"], "the hub already has device 'd' with other credentials (an X.509 certificate)"),
            ("0ne1", [], ["bad name:\(key)"], [], [], "--dps-group 'bad name': the name must be"),
        ] as [(String?, [String], [String], [String], [String], String)]
    )
    func mistakes(scope: String?, enrollments: [String], groups: [String], devices: [String], x509: [String], message: String) {
        do {
            _ = try Self.parse(scope, enrollments: enrollments, groups: groups, devices: devices, x509: x509)
            Issue.record("accepted")
        } catch {
            #expect(error.description.contains(message), "\(error.description)")
            #expect(!error.description.contains(Self.other))
        }
    }

    @Test("X.509 enrollments: a thumbprint enrollment and a CA group from a PEM file; mistakes name the flag")
    func x509() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-dps-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let ca = try DeviceCertificateFactory.makeCertificateAuthority(commonName: "factory CA", now: Date(), validity: 3600)
        try Data(ca.certificatePEM.utf8).write(to: URL(fileURLWithPath: "\(folder)/ca.pem"))
        let print = String(repeating: "AB", count: 32)
        func parse(_ enrollments: [String], _ groups: [String], devices: [String] = []) throws(InvalidInput) -> ProvisioningConfiguration? {
            let parsed = try devices.map { text throws(InvalidInput) in try DeviceArgument.parse(text) }
            return try ProvisioningArguments(scope: "0ne1", enrollments: [], groups: [], x509Enrollments: enrollments, x509Groups: groups)
                .configuration(devices: parsed, certificateDevices: [])
        }
        let configuration = try #require(try parse(["cam-1:\(print)"], ["factory:\(folder)/ca.pem"]))
        #expect(configuration.x509IndividualEnrollments.first?.registrationID.string == "cam-1")
        #expect(configuration.x509GroupEnrollments.first?.authority.name == "factory CA")
        let mistakes: [([String], [String], [String], String)] = [
            (["cam-1"], [], [], "--dps-x509-enrollment 'cam-1' is not registrationId:THUMBPRINT"),
            (["cam-1:nothex"], [], [], "--dps-x509-enrollment 'cam-1':"),
            (["cam-1:\(print)"], [], ["cam-1:\(Self.key)"], "the hub already has device 'cam-1' with its own credentials"),
            ([], ["factory:\(folder)/missing.pem"], [], "--dps-x509-group 'factory':"),
            ([], ["factory"], [], "--dps-x509-group 'factory' is not name:CA-certificate.pem"),
        ]
        for (enrollments, groups, devices, message) in mistakes {
            do {
                _ = try parse(enrollments, groups, devices: devices)
                Issue.record("accepted \(enrollments) \(groups)")
            } catch {
                #expect(error.description.contains(message), "\(error.description)")
            }
        }
        do {
            _ = try ProvisioningArguments(scope: nil, enrollments: [], groups: [], x509Enrollments: [], x509Groups: ["g:\(folder)/ca.pem"]).configuration(devices: [], certificateDevices: [])
            Issue.record("accepted without a scope")
        } catch {
            #expect(error.description.contains("--dps-x509-group needs --dps-scope"))
        }
    }

    @Test(
        "bad DPS flags exit 2",
        arguments: [
            ["hub", "--dps-enrollment", "d:\(key)"],
            ["hub", "--dps-scope", "0ne1"],
            ["hub", "--dps-scope", "0ne1", "--device", "d:\(other)", "--dps-enrollment", "d:\(key)"],
        ]
    )
    func badFlags(arguments: [String]) async {
        #expect(await HarnessCommand.runMain(arguments: arguments + ["--port", "0"]) == 2)
    }

    @Test("the banner says where DPS listens, its scope, and how each enrollment registers, keys masked")
    func banner() async throws {
        let command = try #require(try HarnessCommand.parseAsRoot([
            "hub", "--port", "0", "--dps-scope", "0ne0000ABCD", "--dps-enrollment", "sensor-1:\(Self.key)", "--dps-group", "fleet:\(Self.other)",
        ]) as? Hub)
        var settings = try command.makeSettings()
        settings.stateFilePath = nil
        let session = try await HubSession.start(settings, group: MultiThreadedEventLoopGroup.singleton, log: HubLog(showsPackets: false, showsEvents: false) { _ in })
        let banner = session.banner(showKeys: false).joined(separator: "\n")
        await session.stop()
        #expect(banner.contains("Device Provisioning:   ID scope 0ne0000ABCD on the MQTT listener (provisioning host localhost"))
        #expect(banner.contains("note: the SDKs dial the provisioning host on 8883"))
        #expect(banner.contains("DPS enrollment sensor-1 (individual, symmetric key ***)"))
        #expect(banner.contains("registration_id=\"sensor-1\", id_scope=\"0ne0000ABCD\""))
        #expect(banner.contains("DPS group fleet (symmetric key ***)"))
        #expect(!banner.contains(Self.key) && !banner.contains(Self.other))
    }
}
