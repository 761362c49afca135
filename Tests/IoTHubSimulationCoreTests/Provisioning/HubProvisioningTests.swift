import HarnessTestSupport
import IoTHubCore
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import Testing

/// The Device Provisioning Service on the hub's listener, as a pure state machine: the MQTT
/// exchange the SDKs drive (CONNECT, subscribe, register, 202 assigning, poll, 200 assigned),
/// individual and group enrollments, and the refusals.
@Suite struct HubProvisioningTests {
    static let scope = "0ne00000A1B"
    static let individualKey = DeviceKey(bytes: Array(repeating: 3, count: 32))
    static let groupKey = DeviceKey(bytes: Array(repeating: 9, count: 32))
    let now = HubFixtures.start

    static func machine(delay: Duration = .zero, devices: [DeviceRecord] = []) -> HubStateMachine {
        var configuration = HubConfiguration(hostName: HubFixtures.hostName)
        configuration.provisioning = ProvisioningConfiguration(
            idScope: scope,
            individualEnrollments: [IndividualEnrollment(registrationID: registrationID("sensor-1"), primaryKey: individualKey)],
            groupEnrollments: [GroupEnrollment(name: "fleet", primaryKey: groupKey)],
            assignmentDelay: delay
        )
        return HubStateMachine(configuration: configuration, registry: DeviceRegistry(devices: devices))
    }

    static func registrationID(_ text: String) -> RegistrationID {
        do { return try RegistrationID(text) } catch { preconditionFailure("\(error)") }
    }

    /// The CONNECT the Python SDK sends, with a token signed by `key` (`skn` absent, as the SDK
    /// leaves it out).
    static func connect(_ id: String, key: DeviceKey, scope: String = scope, clientID: String? = nil, expiry: Int64 = HubFixtures.start.unixSeconds + 3600, skn: String? = nil) -> ConnectPacket {
        let token = SASToken.make(resource: "\(scope)/registrations/\(id)", key: key, expiry: expiry, policyName: skn)
        return ConnectPacket(
            protocolLevel: 4,
            clientID: clientID ?? id,
            cleanSession: true,
            keepAlive: 60,
            username: "\(scope)/registrations/\(id)/api-version=2019-03-31&ClientVersion=azure-iot-device-provisioning-py%2F2.14.0",
            password: ByteBuffer(string: token.rendered)
        )
    }

    /// A connected, subscribed DPS client on connection 1.
    func connected(_ machine: inout HubStateMachine, _ connect: ConnectPacket) throws -> [HubStateMachine.Action] {
        _ = machine.connectionOpened(1, at: now)
        var actions = machine.packetReceived(.connect(connect), on: 1, at: now)
        let filter = try TopicFilter("$dps/registrations/res/#")
        actions += machine.packetReceived(.subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: filter, qos: .atLeastOnce)])), on: 1, at: now)
        return actions
    }

    /// Publishes `body` on `topic` and returns the answer's status, `retry-after` and body.
    func request(_ machine: inout HubStateMachine, _ topic: String, _ body: String = "", at time: HubTime? = nil) throws -> (status: Int, retryAfter: String?, body: JSONValue, actions: [HubStateMachine.Action]) {
        let publish = PublishPacket(topic: try TopicName(topic), payload: ByteBuffer(string: body), qos: .atLeastOnce, packetID: 7)
        let actions = machine.packetReceived(.publish(publish), on: 1, at: time ?? now)
        let answers = actions.sentPackets.compactMap { packet -> PublishPacket? in if case .publish(let p) = packet { p } else { nil } }
        let answer = try #require(answers.first, "no answer in \(actions)")
        #expect(actions.sentPackets.contains(.puback(packetID: 7)))
        let parts = answer.topic.string.split(separator: "/")
        let status = try #require(Int(parts[3]))
        let query = answer.topic.string.split(separator: "?", maxSplits: 1)[1]
        let retry = query.split(separator: "&").first { $0.hasPrefix("retry-after=") }.map { String($0.dropFirst("retry-after=".count)) }
        #expect(query.hasPrefix("$rid="))
        return (status, retry, try JSONValue(parsing: Array(answer.payload.readableBytesView)), actions)
    }

    @Test("individual enrollment: CONNACK 0, 202 assigning with retry-after 3, then 200 assigned with the hub and device id; the device is in the registry with the enrollment's key and can connect")
    func individual() throws {
        var machine = Self.machine()
        let actions = try connected(&machine, Self.connect("sensor-1", key: Self.individualKey))
        #expect(actions.sentPackets.first == .connack(ConnAckPacket(sessionPresent: false, returnCode: .accepted)))
        #expect(actions.sentPackets.contains(.suback(SubAckPacket(packetID: 1, returnCodes: [.granted(.atLeastOnce)]))))

        let accepted = try request(&machine, "$dps/registrations/PUT/iotdps-register/?$rid=1", #"{"registrationId":"sensor-1"}"#)
        #expect(accepted.status == 202)
        #expect(accepted.retryAfter == "3")
        #expect(accepted.body["status"]?.stringValue == "assigning")
        let operation = try #require(accepted.body["operationId"]?.stringValue)
        #expect(machine.registry[HubFixtures.deviceIDLiteral("sensor-1")] == nil)

        let done = try request(&machine, "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=2&operationId=\(operation)", at: now + .seconds(3))
        #expect(done.status == 200)
        #expect(done.retryAfter == nil)
        #expect(done.body["status"]?.stringValue == "assigned")
        let state = try #require(done.body["registrationState"])
        #expect(state["assignedHub"]?.stringValue == HubFixtures.hostName)
        #expect(state["deviceId"]?.stringValue == "sensor-1")
        #expect(state["registrationId"]?.stringValue == "sensor-1")
        #expect(state["status"]?.stringValue == "assigned")
        #expect(state["substatus"]?.stringValue == "initialAssignment")
        #expect(done.actions.events.contains { if case .provisioning(.assigned(_, let id, _, _)) = $0 { id.string == "sensor-1" } else { false } })

        let record = try #require(machine.registry[HubFixtures.deviceIDLiteral("sensor-1")])
        #expect(record.primaryKey == Self.individualKey)
        // The device now connects to the hub with what DPS returned.
        let token = SASToken.make(resource: "\(HubFixtures.hostName)/devices/sensor-1", key: Self.individualKey, expiry: now.unixSeconds + 3600)
        let hubConnect = ConnectPacket(protocolLevel: 4, clientID: "sensor-1", cleanSession: true, keepAlive: 60, username: "\(HubFixtures.hostName)/sensor-1/?api-version=2021-04-12", password: ByteBuffer(string: token.rendered))
        _ = machine.connectionOpened(2, at: now)
        let hub = machine.packetReceived(.connect(hubConnect), on: 2, at: now + .seconds(4))
        #expect(hub.sentPackets.first == .connack(ConnAckPacket(sessionPresent: false, returnCode: .accepted)))
    }

    @Test("group enrollment: a device signing with HMAC-SHA256(group key, registration id) is assigned and gets that derived key; the assignment waits for the configured delay on the hub clock")
    func group() throws {
        var machine = Self.machine(delay: .seconds(5))
        let derived = DeviceKey.derived(fromGroupKey: Self.groupKey, registrationID: "member-7")
        _ = try connected(&machine, Self.connect("member-7", key: derived))
        let accepted = try request(&machine, "$dps/registrations/PUT/iotdps-register/?$rid=a", #"{"registrationId":"member-7","payload":{"model":"x"}}"#)
        #expect(accepted.status == 202)
        let operation = try #require(accepted.body["operationId"]?.stringValue)
        let early = try request(&machine, "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=b&operationId=\(operation)", at: now + .seconds(3))
        #expect(early.status == 202)
        #expect(early.body["status"]?.stringValue == "assigning")
        let late = try request(&machine, "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=c&operationId=\(operation)", at: now + .seconds(5))
        #expect(late.status == 200)
        #expect(late.body["registrationState"]?["deviceId"]?.stringValue == "member-7")
        #expect(machine.registry[HubFixtures.deviceIDLiteral("member-7")]?.primaryKey == derived)

        // Registering again replaces the old operation (one per registration is kept).
        let again = try request(&machine, "$dps/registrations/PUT/iotdps-register/?$rid=d", #"{"registrationId":"member-7"}"#, at: now + .seconds(6))
        #expect(again.status == 202)
        let old = try request(&machine, "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=e&operationId=\(operation)", at: now + .seconds(6))
        #expect(old.status == 404)
    }

    @Test(
        "a token the enrollments do not vouch for gets CONNACK 0, then 401 on the registration request with the reason in the event (as the real service answers)",
        arguments: [
            ("sensor-1", DeviceKey(bytes: Array(repeating: 4, count: 32)), Int64(3600), "signature"),  // wrong key
            ("member-7", HubProvisioningTests.groupKey, Int64(3600), "signature"),  // the group key itself, not the derived one
            ("sensor-1", HubProvisioningTests.individualKey, Int64(-3600), "expired"),
        ]
    )
    func unauthorized(id: String, key: DeviceKey, lifetime: Int64, reason: String) throws {
        var machine = Self.machine()
        let actions = try connected(&machine, Self.connect(id, key: key, expiry: now.unixSeconds + lifetime))
        #expect(actions.sentPackets.first == .connack(ConnAckPacket(sessionPresent: false, returnCode: .accepted)))
        let answer = try request(&machine, "$dps/registrations/PUT/iotdps-register/?$rid=1", #"{"registrationId":"\#(id)"}"#)
        #expect(answer.status == 401)
        #expect(answer.body["errorCode"]?.numberValue == 401002)
        let refusal = answer.actions.events.compactMap { event -> String? in if case .provisioning(.refused(_, 401, let why)) = event { why } else { nil } }
        #expect(refusal.count == 1)
        #expect(refusal.first?.contains(reason) == true, "\(refusal)")
        #expect(refusal.first?.contains(key.base64) == false)
        #expect(machine.registry[HubFixtures.deviceIDLiteral(id)] == nil)
    }

    @Test("an operation id that is not this registration's gets 404; a body naming another registration gets 400")
    func notFoundAndBadRequest() throws {
        var machine = Self.machine()
        _ = try connected(&machine, Self.connect("sensor-1", key: Self.individualKey))
        let unknown = try request(&machine, "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=1&operationId=4.0.nothing")
        #expect(unknown.status == 404)
        let other = try request(&machine, "$dps/registrations/PUT/iotdps-register/?$rid=2", #"{"registrationId":"someone-else"}"#)
        #expect(other.status == 400)
    }

    @Test("a device already on the hub with other credentials is not replaced: the operation ends failed with the reason")
    func existingDevice() throws {
        let existing = DeviceRecord(id: HubFixtures.deviceIDLiteral("sensor-1"), primaryKey: DeviceKey(bytes: Array(repeating: 1, count: 32)))
        var machine = Self.machine(devices: [existing])
        _ = try connected(&machine, Self.connect("sensor-1", key: Self.individualKey))
        let accepted = try request(&machine, "$dps/registrations/PUT/iotdps-register/?$rid=1", #"{"registrationId":"sensor-1"}"#)
        let operation = try #require(accepted.body["operationId"]?.stringValue)
        let done = try request(&machine, "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=2&operationId=\(operation)")
        #expect(done.status == 200)
        #expect(done.body["status"]?.stringValue == "failed")
        #expect(done.body["registrationState"]?["errorMessage"]?.stringValue?.contains("already exists on the hub with other credentials") == true)
        #expect(machine.registry[existing.id]?.primaryKey == existing.primaryKey)
    }

    @Test(
        "CONNECTs the service cannot take are refused with CONNACK 5 and the reason: another scope, a client id that is not the registration id, no api-version",
        arguments: [
            (HubProvisioningTests.connect("sensor-1", key: HubProvisioningTests.individualKey, scope: "0ne99999999"), "is not this Device Provisioning Service's"),
            (HubProvisioningTests.connect("sensor-1", key: HubProvisioningTests.individualKey, clientID: "other"), "differs from the user name's registration id"),
            (ConnectPacket(protocolLevel: 4, clientID: "sensor-1", cleanSession: true, keepAlive: 60, username: "\(HubProvisioningTests.scope)/registrations/sensor-1/", password: nil), "api-version"),
            (ConnectPacket(protocolLevel: 4, clientID: "Sensor-1", cleanSession: true, keepAlive: 60, username: "\(HubProvisioningTests.scope)/registrations/Sensor-1/api-version=2019-03-31", password: nil), "not allowed"),
        ]
    )
    func refusedConnects(connect: ConnectPacket, reason: String) {
        var machine = Self.machine()
        _ = machine.connectionOpened(1, at: now)
        let actions = machine.packetReceived(.connect(connect), on: 1, at: now)
        #expect(actions.sentPackets.first == .connack(ConnAckPacket(sessionPresent: false, returnCode: .notAuthorized)))
        let why = actions.events.compactMap { event -> String? in if case .connectionRefused(_, _, _, let why) = event { why } else { nil } }.first
        #expect(why?.contains(reason) == true, "\(String(describing: why))")
    }

    @Test("a hub without DPS refuses a DPS user name with CONNACK 5 saying so; a DPS client that did not subscribe gets no answer and the event says why; other subscriptions close the connection")
    func withoutServiceOrSubscription() throws {
        var plain = HubFixtures.machine()
        _ = plain.connectionOpened(1, at: now)
        let refused = plain.packetReceived(.connect(Self.connect("sensor-1", key: Self.individualKey)), on: 1, at: now)
        #expect(refused.sentPackets.first == .connack(ConnAckPacket(sessionPresent: false, returnCode: .notAuthorized)))
        #expect(refused.events.contains { if case .connectionRefused(_, _, _, let why) = $0 { why.contains("--dps-scope") } else { false } })

        var machine = Self.machine()
        _ = machine.connectionOpened(1, at: now)
        _ = machine.packetReceived(.connect(Self.connect("sensor-1", key: Self.individualKey)), on: 1, at: now)
        let publish = PublishPacket(topic: try TopicName("$dps/registrations/PUT/iotdps-register/?$rid=1"), payload: ByteBuffer(string: "{}"))
        let silent = machine.packetReceived(.publish(publish), on: 1, at: now)
        #expect(!silent.sentPackets.contains { if case .publish = $0 { true } else { false } })
        #expect(silent.events.contains { if case .provisioning(.refused(_, _, let why)) = $0 { why.contains("has not subscribed") } else { false } })

        let wrong = SubscribePacket(packetID: 2, subscriptions: [.init(filter: try TopicFilter("$dps/#"), qos: .atLeastOnce)])
        let closed = machine.packetReceived(.subscribe(wrong), on: 1, at: now)
        #expect(closed.contains(.close(1)))
    }

    @Test("a silent DPS connection is dropped after 1.5 x keep-alive, like a hub connection")
    func keepAlive() throws {
        var machine = Self.machine()
        _ = try connected(&machine, Self.connect("sensor-1", key: Self.individualKey))
        #expect(!machine.tick(at: now + .seconds(89)).contains(.close(1)))
        let actions = machine.tick(at: now + .seconds(90))
        #expect(actions.contains(.close(1)))
    }
}
