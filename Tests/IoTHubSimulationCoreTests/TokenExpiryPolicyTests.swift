import HarnessTestSupport
import IoTHubCore
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import NIOPosix
import Testing

/// One token expiry policy: CONNECT and the service REST API accept a token while
/// now <= se + skew; a live connection is dropped once now > se + grace; grace >= skew.
@Suite struct TokenExpiryPolicyTests {
    static let se = HubFixtures.start.unixSeconds
    static let policy = TokenExpiryPolicy.realHub

    static func at(_ seconds: Int64, plusNanoseconds nanoseconds: Int64 = 0) -> HubTime {
        HubTime(nanosecondsSince1970: (se + seconds) * 1_000_000_000 + nanoseconds)
    }

    /// The CONNACK a CONNECT with a token expiring at `se` gets at `now`, and the machine.
    static func connect(at now: HubTime, policy: TokenExpiryPolicy = policy) -> (ConnectReturnCode?, HubStateMachine) {
        var machine = HubFixtures.machine(configuration: HubConfiguration(hostName: HubFixtures.hostName, tokenExpiry: policy))
        _ = machine.connectionOpened(1, at: now)
        let actions = machine.packetReceived(.connect(HubFixtures.connect(expiry: se)), on: 1, at: now)
        guard case .connack(let connack) = actions.sentPackets.first else { return (nil, machine) }
        return (connack.returnCode, machine)
    }

    @Test("the real hub's policy: 300 s of skew at CONNECT, 600 s of grace for a live connection")
    func defaults() {
        #expect(HubConfiguration().tokenExpiry == .realHub)
        #expect(Self.policy.clockSkew == .seconds(300))
        #expect(Self.policy.grace == .seconds(600))
    }

    @Test(
        "MQTT CONNECT: accepted up to se + skew, refused with CONNACK 5 after",
        arguments: [(299, 0, true), (300, 0, true), (300, 999_999_999, true), (301, 0, false), (-1, 0, true)] as [(Int64, Int64, Bool)]
    )
    func connectBoundary(seconds: Int64, nanoseconds: Int64, accepted: Bool) {
        let (code, _) = Self.connect(at: Self.at(seconds, plusNanoseconds: nanoseconds))
        #expect(code == (accepted ? .accepted : .notAuthorized))
    }

    @Test("a CONNECT inside the skew is not dropped for its token until se + grace has passed")
    func noConnectAndDrop() {
        // Accepted 299 s past se, with pings inside the keep-alive.
        var (code, machine) = Self.connect(at: Self.at(299))
        #expect(code == .accepted)
        #expect(machine.tick(at: Self.at(299)).closes.isEmpty)
        #expect(machine.packetReceived(.pingreq, on: 1, at: Self.at(301)).closes.isEmpty)
        #expect(machine.tick(at: Self.at(599)).closes.isEmpty)
        #expect(machine.tick(at: Self.at(600, plusNanoseconds: 999_999_999)).closes.isEmpty)
        let drop = machine.tick(at: Self.at(601))
        #expect(drop.closes == [1])
        #expect(drop.sentPackets.isEmpty)
        #expect(drop.disconnectReasons == [.tokenExpired])
    }

    @Test("the live drop at the grace boundary: still open at grace - 1 s, dropped at grace + 1 s")
    func graceBoundary() {
        var (code, machine) = Self.connect(at: Self.at(-10))
        #expect(code == .accepted)
        #expect(machine.tick(at: Self.at(599)).closes.isEmpty)
        #expect(machine.tick(at: Self.at(601)).disconnectReasons == [.tokenExpired])
    }

    @Test("the drop is announced as the machine's next deadline")
    func dropDeadline() {
        let (_, machine) = Self.connect(at: Self.at(-10))
        #expect(machine.nextDeadline() == Self.at(601))
        #expect(machine.tokenEndTime(of: HubFixtures.deviceID) == Self.at(601))
    }

    @Test("after a disconnect, the token's end is the time CONNECT starts refusing it (se + skew)")
    func endTimeWhenDisconnected() {
        var (_, machine) = Self.connect(at: Self.at(-10))
        _ = machine.connectionClosed(1, at: Self.at(-5))
        #expect(machine.tokenEndTime(of: HubFixtures.deviceID) == Self.at(301))
        #expect(HubFixtures.machine().tokenEndTime(of: HubFixtures.deviceID) == nil)
    }

    @Test("a stricter policy: skew 0 and grace 0 refuse at se + 1 s and drop at se + 1 s")
    func strictPolicy() throws {
        let strict = try TokenExpiryPolicy(clockSkew: .zero, grace: .zero)
        #expect(Self.connect(at: Self.at(0, plusNanoseconds: 999_999_999), policy: strict).0 == .accepted)
        #expect(Self.connect(at: Self.at(1), policy: strict).0 == .notAuthorized)
        var (_, machine) = Self.connect(at: Self.at(-1), policy: strict)
        #expect(machine.tick(at: Self.at(0, plusNanoseconds: 999_999_999)).closes.isEmpty)
        #expect(machine.tick(at: Self.at(1)).closes == [1])
    }

    @Test("a grace shorter than the skew, or a fractional or negative value, is refused")
    func invalidPolicies() {
        #expect(throws: TokenExpiryPolicy.Error.graceShorterThanSkew(grace: .seconds(10), skew: .seconds(300))) {
            try TokenExpiryPolicy(clockSkew: .seconds(300), grace: .seconds(10))
        }
        #expect(throws: TokenExpiryPolicy.Error.notWholeSeconds(name: "clock skew", .milliseconds(1500))) {
            try TokenExpiryPolicy(clockSkew: .milliseconds(1500), grace: .seconds(10))
        }
        #expect(throws: TokenExpiryPolicy.Error.notWholeSeconds(name: "grace", .seconds(-1))) {
            try TokenExpiryPolicy(clockSkew: .zero, grace: .seconds(-1))
        }
    }

    @Test(
        "service REST: a policy token is accepted up to se + skew, 401 after",
        arguments: [(299, true), (300, true), (301, false)] as [(Int64, Bool)]
    )
    func restBoundary(seconds: Int64, accepted: Bool) {
        let owner = AccessPolicy(name: "iothubowner", primaryKey: DeviceKey(bytes: Array(repeating: 1, count: 32)), permissions: Set(AccessPolicy.Permission.allCases))
        let token = SASToken.make(resource: HubFixtures.hostName, key: owner.primaryKey, expiry: Self.se, policyName: owner.name).rendered
        let request = ServiceRequest(method: "GET", path: "/devices/esp8266", headers: [(name: "Authorization", value: token)])
        let cache = VerifiedTokenCache()
        // Twice: the second answer comes from the cache of verified tokens, which must apply
        // the same policy.
        for _ in 0..<2 {
            let refusal = ServiceAuthorizer.check(
                request,
                route: .getDevice(HubFixtures.deviceID),
                policies: [owner.name: owner],
                hostName: HubFixtures.hostName,
                tokenServiceKey: nil,
                now: Self.at(seconds),
                tokenExpiry: Self.policy,
                cache: cache
            )
            #expect((refusal == nil) == accepted)
            if !accepted { #expect(refusal?.status == 401) }
        }
    }

    @Test("a token expiring far in the future (2286, or the largest se there is) is accepted and never dropped, with no overflow", arguments: [10_000_000_000, Int64.max] as [Int64])
    func farFuture(expiry: Int64) {
        var machine = HubFixtures.machine()
        _ = machine.connectionOpened(1, at: Self.at(0))
        let actions = machine.packetReceived(.connect(HubFixtures.connect(expiry: expiry)), on: 1, at: Self.at(0))
        #expect(actions.sentPackets == [.connack(ConnAckPacket(returnCode: .accepted))])
        #expect(machine.tokenEndTime(of: HubFixtures.deviceID) != nil)
        #expect(machine.tick(at: Self.at(1000)).closes.isEmpty)
        // REST: the same token from a policy is accepted.
        let owner = AccessPolicy(name: "iothubowner", primaryKey: DeviceKey(bytes: Array(repeating: 1, count: 32)), permissions: Set(AccessPolicy.Permission.allCases))
        let token = SASToken.make(resource: HubFixtures.hostName, key: owner.primaryKey, expiry: expiry, policyName: owner.name).rendered
        let request = ServiceRequest(method: "GET", path: "/devices/esp8266", headers: [(name: "Authorization", value: token)])
        let refusal = ServiceAuthorizer.check(
            request, route: .getDevice(HubFixtures.deviceID), policies: [owner.name: owner], hostName: HubFixtures.hostName,
            tokenServiceKey: nil, now: Self.at(0), tokenExpiry: Self.policy
        )
        #expect(refusal == nil)
    }

    @Test("a skew or grace of more than a year is refused")
    func tooLong() {
        #expect(throws: TokenExpiryPolicy.Error.tooLong(name: "grace", .seconds(8_000_000_000))) {
            try TokenExpiryPolicy(clockSkew: .seconds(300), grace: .seconds(8_000_000_000))
        }
    }

    @Test("hub times saturate at their bounds instead of overflowing")
    func saturation() {
        #expect(HubTime(unixSeconds: .max).nanosecondsSince1970 == .max)
        #expect(HubTime(unixSeconds: .min).nanosecondsSince1970 == .min)
        #expect((HubTime(nanosecondsSince1970: .max) + .seconds(1)).nanosecondsSince1970 == .max)
        #expect(HubTime(nanosecondsSince1970: .max) - HubTime(nanosecondsSince1970: .min) == .nanoseconds(Int64.max))
        #expect(HubTime(nanosecondsSince1970: .min).unixSeconds == -9_223_372_037)
        #expect(HubTime(nanosecondsSince1970: -1).unixSeconds == -1)
        #expect(!HubTime(nanosecondsSince1970: .min).iso8601.isEmpty)
    }

}
