import HarnessTestSupport
import IoTHubCore
@testable import IoTHubSimulationCore
import MQTTCore
import NIOCore
import Testing

/// X.509 attestation on the Device Provisioning Service: the certificate the TLS handshake
/// presented, with no password, is judged at the registration request against the X.509
/// enrollments (a thumbprint for an individual enrollment, a chain to the group's CA), its
/// common name being the registration id; the device then connects to the hub with the same
/// certificate.
@Suite struct HubProvisioningX509Tests {
    let now = HubFixtures.start
    static let scope = "0ne0000X509"

    static func machine(individual: X509IndividualEnrollment? = nil, group: X509GroupEnrollment? = nil) -> HubStateMachine {
        var configuration = HubConfiguration(hostName: HubFixtures.hostName)
        var dps = ProvisioningConfiguration(idScope: scope)
        dps.x509IndividualEnrollments = individual.map { [$0] } ?? []
        dps.x509GroupEnrollments = group.map { [$0] } ?? []
        configuration.provisioning = dps
        return HubStateMachine(configuration: configuration)
    }

    /// Connects as `id` presenting `chain` (no password, as the SDK's X.509 client), subscribes,
    /// registers, polls once, and returns the final answer's body and status.
    func register(_ id: String, presenting chain: [[UInt8]], on machine: inout HubStateMachine) throws -> (status: Int, body: JSONValue) {
        _ = machine.connectionOpened(1, at: now)
        machine.clientCertificatePresented(chain, on: 1)
        let connect = ConnectPacket(protocolLevel: 4, clientID: id, cleanSession: true, keepAlive: 60, username: "\(Self.scope)/registrations/\(id)/api-version=2019-03-31", password: nil)
        let connack = machine.packetReceived(.connect(connect), on: 1, at: now)
        #expect(connack.sentPackets.first == .connack(ConnAckPacket(sessionPresent: false, returnCode: .accepted)))
        _ = machine.packetReceived(.subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: try TopicFilter("$dps/registrations/res/#"), qos: .atMostOnce)])), on: 1, at: now)
        func send(_ topic: String, _ body: String) throws -> (Int, JSONValue) {
            let actions = machine.packetReceived(.publish(PublishPacket(topic: try TopicName(topic), payload: ByteBuffer(string: body))), on: 1, at: now)
            let answer = try #require(actions.sentPackets.compactMap { packet -> PublishPacket? in if case .publish(let p) = packet { p } else { nil } }.first)
            return (try #require(Int(answer.topic.string.split(separator: "/")[3])), try JSONValue(parsing: Array(answer.payload.readableBytesView)))
        }
        let (status, body) = try send("$dps/registrations/PUT/iotdps-register/?$rid=1", #"{"registrationId":"\#(id)"}"#)
        guard status == 202, let operation = body["operationId"]?.stringValue else { return (status, body) }
        let (final, result) = try send("$dps/registrations/GET/iotdps-get-operationstatus/?$rid=2&operationId=\(operation)", "")
        return (final, result)
    }

    /// The hub's answer to `id` connecting with `chain` on connection 2.
    func hubConnect(_ id: String, presenting chain: [[UInt8]], on machine: inout HubStateMachine) -> ConnectReturnCode? {
        _ = machine.connectionOpened(2, at: now)
        machine.clientCertificatePresented(chain, on: 2)
        let connect = ConnectPacket(protocolLevel: 4, clientID: id, cleanSession: true, keepAlive: 60, username: "\(HubFixtures.hostName)/\(id)/?api-version=2021-04-12", password: nil)
        if case .connack(let connack) = machine.packetReceived(.connect(connect), on: 2, at: now).sentPackets.first { return connack.returnCode }
        return nil
    }

    @Test("individual X.509 enrollment by thumbprint: assigned, and the device connects to the hub with the same certificate (and only with it)")
    func individual() throws {
        let device = try TestCertificate.make("x509-sensor")
        let other = try TestCertificate.make("x509-sensor")
        let thumbprint = CertificateThumbprint(of: device.der, algorithm: .sha1)
        var machine = Self.machine(individual: X509IndividualEnrollment(registrationID: try RegistrationID("x509-sensor"), primary: thumbprint))
        let result = try register("x509-sensor", presenting: [device.der], on: &machine)
        #expect(result.status == 200)
        #expect(result.body["registrationState"]?["deviceId"]?.stringValue == "x509-sensor")
        #expect(result.body["status"]?.stringValue == "assigned")
        #expect(machine.registry[HubFixtures.deviceIDLiteral("x509-sensor")]?.authentication.usesCertificate == true)
        #expect(hubConnect("x509-sensor", presenting: [device.der], on: &machine) == .accepted)
        #expect(hubConnect("x509-sensor", presenting: [other.der], on: &machine) == .notAuthorized)
    }

    @Test("X.509 enrollment group: a certificate its CA signed, named for the registration id, is assigned; another CA's, or a common name that is not the registration id, gets 401")
    func group() throws {
        let ca = try TestCertificate.make("dps test CA", isAuthority: true)
        let foreignCA = try TestCertificate.make("other CA", isAuthority: true)
        let member = try TestCertificate.make("member-1", issuer: ca)
        let foreign = try TestCertificate.make("member-2", issuer: foreignCA)
        let misnamed = try TestCertificate.make("someone-else", issuer: ca)
        let enrollment = X509GroupEnrollment(name: "factory", authority: RegisteredCertificateAuthority(name: "dps test CA", certificate: ca.certificate))

        var machine = Self.machine(group: enrollment)
        let assigned = try register("member-1", presenting: [member.der], on: &machine)
        #expect(assigned.status == 200)
        #expect(assigned.body["registrationState"]?["assignedHub"]?.stringValue == HubFixtures.hostName)
        #expect(hubConnect("member-1", presenting: [member.der], on: &machine) == .accepted)

        var refusing = Self.machine(group: enrollment)
        #expect(try register("member-2", presenting: [foreign.der], on: &refusing).status == 401)
        var misnamedMachine = Self.machine(group: enrollment)
        let wrongName = try register("member-3", presenting: [misnamed.der], on: &misnamedMachine)
        #expect(wrongName.status == 401)
        #expect(misnamedMachine.registry[HubFixtures.deviceIDLiteral("member-3")] == nil)
    }
}
