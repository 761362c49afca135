import HarnessTestSupport
import IoTHubCore
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import Testing

/// CONNECT credentials as the real hub checks them: user name forms, SAS details, policies,
/// identity, disabled devices and revocation.
@Suite struct HubAuthenticationTests {
    let now = HubFixtures.start
    static let host = HubFixtures.hostName
    static let secondary = DeviceKey(bytes: Array(repeating: 7, count: 32))
    static let deviceAccess = AccessPolicy(name: "device", primaryKey: DeviceKey(bytes: Array(repeating: 5, count: 32)), permissions: [.deviceConnect])
    static let serviceOnly = AccessPolicy(name: "service", primaryKey: DeviceKey(bytes: Array(repeating: 6, count: 32)), permissions: [.serviceConnect])

    func machine() -> HubStateMachine {
        HubStateMachine(
            configuration: HubConfiguration(hostName: Self.host),
            registry: DeviceRegistry(
                devices: [DeviceRecord(id: HubFixtures.deviceID, primaryKey: HubFixtures.key, secondaryKey: Self.secondary)],
                policies: [Self.deviceAccess, Self.serviceOnly]
            )
        )
    }

    /// A CONNECT with this user name and password text.
    static func connect(username: String = "\(host)/esp8266/?api-version=2021-04-12", password: String?, clientID: String = "esp8266", level: UInt8 = 4) -> ConnectPacket {
        ConnectPacket(protocolLevel: level, clientID: clientID, cleanSession: false, keepAlive: 60, username: username, password: password.map { ByteBuffer(string: $0) })
    }

    /// A token signed over the literal `sr` text given.
    static func token(sr: String, key: DeviceKey = HubFixtures.key, expiry: Int64 = HubFixtures.start.unixSeconds + 3600, skn: String? = nil) -> String {
        let resource = (try? PercentEncoding.decode(sr)) ?? sr
        // SASToken.make encodes with upper-case hex; sign the literal text ourselves for the
        // other encodings by building the token string around the same HMAC.
        let made = SASToken.make(resource: resource, key: key, expiry: expiry, policyName: skn)
        if PercentEncoding.encode(resource) == sr { return made.rendered }
        let signature = HMACSignature.sign("\(sr)\n\(expiry)", key: key)
        return "SharedAccessSignature sr=\(sr)&sig=\(PercentEncoding.encode(signature))&se=\(expiry)" + (skn.map { "&skn=\($0)" } ?? "")
    }

    func answer(_ connect: ConnectPacket, machine: inout HubStateMachine, connection: ConnectionID = 1) -> ConnectReturnCode? {
        _ = machine.connectionOpened(connection, at: now)
        let actions = machine.packetReceived(.connect(connect), on: connection, at: now)
        guard case .connack(let connack) = actions.sentPackets.first else { return nil }
        return connack.returnCode
    }

    @Test(
        "every user name form the SDKs and docs use is accepted",
        arguments: [
            "\(host)/esp8266/?api-version=2021-04-12",
            "\(host)/esp8266/?api-version=2019-10-01&DeviceClientType=azure-iot-device-iothub-py%2F2.14.0%28Linux%29",
            "\(host)/esp8266/?api-version=2020-09-30&DeviceClientType=iothubclient%2f1.6.0%20(native%3b%20Linux)&model-id=dtmi%3acom%3aexample%3b1",
            "\(host)/esp8266/api-version=2016-11-14",
            "\(host)/esp8266/api-version=2016-11-14&DeviceClientType=iothubclient%2f1.1.27",
            "\(host)/esp8266",
            "\(host)/esp8266/",
            "TEST.Azure-Devices.NET/esp8266/?api-version=2018-06-30",
        ]
    )
    func usernameForms(username: String) {
        var machine = machine()
        let code = answer(Self.connect(username: username, password: Self.token(sr: "\(Self.host)%2Fdevices%2Fesp8266")), machine: &machine)
        #expect(code == .accepted)
    }

    @Test(
        "the signature covers the literal sr text: upper-case, lower-case and raw encodings all work",
        arguments: ["\(host)%2Fdevices%2Fesp8266", "\(host)%2fdevices%2fesp8266", "\(host)/devices/esp8266", "\(host.uppercased())%2FDEVICES%2Fesp8266"]
    )
    func literalResource(sr: String) {
        var machine = machine()
        #expect(answer(Self.connect(password: Self.token(sr: sr)), machine: &machine) == .accepted)
    }

    @Test(
        "refusals get CONNACK 5 (1 for the protocol level), as the real hub answers",
        arguments: [
            ("forged signature", connect(password: token(sr: "\(host)%2Fdevices%2Fesp8266", key: DeviceKey(bytes: Array(repeating: 1, count: 32)))), ConnectReturnCode.notAuthorized),
            ("expired beyond the 5-minute skew", connect(password: token(sr: "\(host)%2Fdevices%2Fesp8266", expiry: HubFixtures.start.unixSeconds - 301)), .notAuthorized),
            ("token for another device", connect(password: token(sr: "\(host)%2Fdevices%2Fesp8266x")), .notAuthorized),
            ("scope is a prefix but not a segment", connect(password: token(sr: "\(host)%2Fdevices%2Fesp")), .notAuthorized),
            ("token for another hub", connect(password: token(sr: "other.azure-devices.net%2Fdevices%2Fesp8266")), .notAuthorized),
            ("wrong client id", connect(password: token(sr: "\(host)%2Fdevices%2Fesp8266"), clientID: "esp8267"), .notAuthorized),
            ("empty client id", connect(password: token(sr: "\(host)%2Fdevices%2Fesp8266"), clientID: ""), .notAuthorized),
            ("no password", connect(password: nil), .notAuthorized),
            ("password is not a SAS token", connect(password: "hunter2"), .notAuthorized),
            ("unknown policy", connect(password: token(sr: "\(host)%2Fdevices%2Fesp8266", skn: "nobody")), .notAuthorized),
            ("policy without DeviceConnect", connect(password: token(sr: "\(host)", key: serviceOnly.primaryKey, skn: "service")), .notAuthorized),
            ("module identity", connect(username: "\(host)/esp8266/mod/?api-version=2021-04-12", password: token(sr: "\(host)%2Fdevices%2Fesp8266")), .notAuthorized),
            ("protocol level 3 (MQTT 3.1)", connect(password: token(sr: "\(host)%2Fdevices%2Fesp8266"), level: 3), .unacceptableProtocolVersion),
            ("bridge bit set", connect(password: token(sr: "\(host)%2Fdevices%2Fesp8266"), level: 0x84), .unacceptableProtocolVersion),
            ("protocol level 5", connect(password: token(sr: "\(host)%2Fdevices%2Fesp8266"), level: 5), .unacceptableProtocolVersion),
        ]
    )
    func refusals(name: String, connect: ConnectPacket, code: ConnectReturnCode) {
        var machine = machine()
        #expect(answer(connect, machine: &machine) == code, "\(name)")
        #expect(machine.isConnected(HubFixtures.deviceID) == false)
    }

    @Test("the secondary key, and a policy token with DeviceConnect scoped to the device, the devices or the hub, are accepted")
    func otherKeys() {
        let tokens = [
            Self.token(sr: "\(Self.host)%2Fdevices%2Fesp8266", key: Self.secondary),
            Self.token(sr: "\(Self.host)%2Fdevices%2Fesp8266", key: Self.deviceAccess.primaryKey, skn: "device"),
            Self.token(sr: "\(Self.host)%2Fdevices", key: Self.deviceAccess.primaryKey, skn: "device"),
            Self.token(sr: Self.host, key: Self.deviceAccess.primaryKey, skn: "device"),
            Self.token(sr: "\(Self.host)%2Fdevices%2Fesp8266", key: Self.deviceAccess.secondaryKey, skn: "device"),
        ]
        for token in tokens {
            var machine = machine()
            #expect(answer(Self.connect(password: token), machine: &machine) == .accepted, "\(token.prefix(60))")
        }
    }

    @Test("a device id with reserved characters is accepted when double-encoded in sr, as the SDKs do")
    func doubleEncoding() {
        let id = HubFixtures.deviceIDLiteral("n@m.et#st")
        let key = DeviceKey(bytes: Array(repeating: 4, count: 32))
        var machine = HubStateMachine(configuration: HubConfiguration(hostName: Self.host), registry: DeviceRegistry(devices: [DeviceRecord(id: id, primaryKey: key)]))
        let token = SASToken.make(resource: "\(Self.host)/devices/\(PercentEncoding.encode(id.string))", key: key, expiry: now.unixSeconds + 60)
        let connect = Self.connect(username: "\(Self.host)/n@m.et#st/?api-version=2021-04-12", password: token.rendered, clientID: id.string)
        #expect(answer(connect, machine: &machine) == .accepted)
    }

    @Test("a disabled device is refused with CONNACK 5, and disabling a connected device drops it without a packet")
    func disabled() throws {
        var machine = machine()
        let good = Self.connect(password: Self.token(sr: "\(Self.host)%2Fdevices%2Fesp8266"))
        #expect(answer(good, machine: &machine) == .accepted)
        let disabled = machine.setStatus(.disabled, of: HubFixtures.deviceID, at: now)
        let actions = try #require(disabled)
        #expect(actions.closes == [1])
        #expect(actions.sentPackets.isEmpty)
        #expect(actions.disconnectReasons == [.deviceDisabled])
        #expect(answer(good, machine: &machine, connection: 2) == .notAuthorized)
        _ = machine.setStatus(.enabled, of: HubFixtures.deviceID, at: now)
        #expect(answer(good, machine: &machine, connection: 3) == .accepted)
    }

    @Test("regenerating the keys drops the device, and tokens signed with the old keys are refused")
    func revoke() throws {
        var machine = machine()
        let good = Self.connect(password: Self.token(sr: "\(Self.host)%2Fdevices%2Fesp8266"))
        #expect(answer(good, machine: &machine) == .accepted)
        let regenerated = machine.regenerateKeys(of: HubFixtures.deviceID, at: now)
        let (device, actions) = try #require(regenerated)
        #expect(device.primaryKey != HubFixtures.key)
        #expect(actions.closes == [1])
        #expect(actions.disconnectReasons == [.credentialsRevoked])
        #expect(answer(good, machine: &machine, connection: 2) == .notAuthorized)
        let fresh = Self.connect(password: SASToken.make(resource: "\(Self.host)/devices/esp8266", key: device.secondaryKey, expiry: now.unixSeconds + 60).rendered)
        #expect(answer(fresh, machine: &machine, connection: 3) == .accepted)
        #expect(machine.regenerateKeys(of: HubFixtures.deviceIDLiteral("nobody"), at: now) == nil)
    }

    @Test("one connection per device: the newer one wins and the older is closed without a packet")
    func newerWins() {
        var machine = machine()
        let good = Self.connect(password: Self.token(sr: "\(Self.host)%2Fdevices%2Fesp8266"))
        #expect(answer(good, machine: &machine, connection: 1) == .accepted)
        _ = machine.connectionOpened(2, at: now)
        let actions = machine.packetReceived(.connect(good), on: 2, at: now)
        #expect(actions.closes == [1])
        #expect(actions.disconnectReasons == [.replacedByNewConnection])
        // The old connection's late packets are ignored: it no longer exists.
        #expect(machine.packetReceived(.pingreq, on: 1, at: now).isEmpty)
        #expect(machine.packetReceived(.pingreq, on: 2, at: now).sentPackets == [.pingresp])
    }

    @Test("tokenExpiry reports the live connection's se; the drop waits for the configured grace")
    func expiryAndGrace() throws {
        var machine = HubStateMachine(
            configuration: HubConfiguration(hostName: Self.host, tokenExpiry: try TokenExpiryPolicy(clockSkew: .seconds(300), grace: .seconds(600))),
            registry: DeviceRegistry(devices: [DeviceRecord(id: HubFixtures.deviceID, primaryKey: HubFixtures.key)])
        )
        #expect(machine.tokenExpiry(of: HubFixtures.deviceID) == nil)
        let connect = ConnectPacket(
            clientID: "esp8266", cleanSession: false, keepAlive: 0, username: "\(Self.host)/esp8266",
            password: ByteBuffer(string: Self.token(sr: "\(Self.host)%2Fdevices%2Fesp8266", expiry: now.unixSeconds + 100))
        )
        #expect(answer(connect, machine: &machine) == .accepted)
        #expect(machine.tokenExpiry(of: HubFixtures.deviceID) == HubTime(unixSeconds: now.unixSeconds + 100))
        #expect(machine.tick(at: now + .seconds(700)).closes.isEmpty)
        let drop = machine.tick(at: now + .seconds(701))
        #expect(drop.closes == [1])
        #expect(drop.sentPackets.isEmpty)
        #expect(drop.disconnectReasons == [.tokenExpired])
    }
}
