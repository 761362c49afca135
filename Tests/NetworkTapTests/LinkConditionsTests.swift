import Testing

@testable import NetworkTap

/// What applying and healing a fault decides for open connections and the listener.
@Suite struct LinkConditionsTests {
    @Test("drop resets and close closes, once: nothing stays in force")
    func oneShots() {
        var conditions = LinkConditions()
        #expect(conditions.apply(.drop) == .init(connections: .reset))
        #expect(conditions.apply(.close) == .init(connections: .close))
        #expect(conditions.activeKinds.isEmpty)
        #expect(conditions.heal(nil) == .init())
    }

    @Test("blackhole holds open connections until healed")
    func blackhole() {
        var conditions = LinkConditions()
        #expect(conditions.apply(.blackhole) == .init(connections: .reshape))
        #expect(conditions.isBlackholed)
        #expect(conditions.heal(.blackhole) == .init(connections: .reshape, healed: [.blackhole]))
        #expect(!conditions.isBlackholed)
    }

    @Test("shaping faults apply per direction and combine; healing one kind leaves the others")
    func shaping() {
        var conditions = LinkConditions()
        _ = conditions.apply(.delay(.milliseconds(200), jitter: .milliseconds(5), directions: .toDevice))
        _ = conditions.apply(.slice(bytes: 3))
        _ = conditions.apply(.bandwidth(bytesPerSecond: 500, directions: .toHub))
        #expect(conditions.flow(.toDevice) == FlowConditions(delay: 200_000_000, jitter: 5_000_000, sliceBytes: 3))
        #expect(conditions.flow(.toHub) == FlowConditions(bytesPerSecond: 500, sliceBytes: 3))
        #expect(conditions.activeKinds == [.delay, .bandwidth, .slice])
        #expect(conditions.heal(.slice) == .init(connections: .reshape, healed: [.slice]))
        #expect(conditions.flow(.toDevice) == FlowConditions(delay: 200_000_000, jitter: 5_000_000))
        #expect(conditions.heal(.slice) == .init())
    }

    @Test("refuse stops the listener once; healing it listens again")
    func refuse() {
        var conditions = LinkConditions()
        #expect(conditions.apply(.refuse) == .init(listener: .stopListening))
        #expect(conditions.apply(.refuse) == .init())
        #expect(conditions.refusesConnections)
        #expect(conditions.heal(.refuse) == .init(listener: .listenAgain, healed: [.refuse]))
    }

    @Test("partition resets open connections and refuses new ones; the listener comes back only when no refusal is left")
    func partition() {
        var conditions = LinkConditions()
        #expect(conditions.apply(.partition) == .init(connections: .reset, listener: .stopListening))
        #expect(conditions.apply(.refuse) == .init())
        #expect(conditions.heal(.partition) == .init(healed: [.partition]))
        #expect(conditions.refusesConnections)
        #expect(conditions.heal(nil) == .init(listener: .listenAgain, healed: [.refuse]))
    }

    @Test("invalid parameters are refused with the reason", arguments: [
        (LinkFault.delay(.milliseconds(-1)), "the delay must not be negative"),
        (.delay(.zero, jitter: .seconds(-1)), "the jitter must not be negative"),
        (.delay(.seconds(4000)), "longer than"),
        (.bandwidth(bytesPerSecond: 0), "at least 1 byte per second"),
        (.slice(bytes: 0), "at least 1 byte"),
        (.slice(bytes: 2, directions: []), "no direction"),
    ])
    func invalid(fault: LinkFault, reason: String) {
        #expect {
            try fault.validate()
        } throws: { error in
            guard let error = error as? LinkFaultError, case .invalid(let kind, let text) = error else { return false }
            return kind == fault.kind && text.contains(reason) && error.description.hasPrefix("the \(kind.rawValue) fault cannot be applied")
        }
    }

    @Test("faults describe themselves in plain words")
    func words() {
        #expect(LinkFault.delay(.milliseconds(200), jitter: .milliseconds(5), directions: .toDevice).description == "delay of 200 ms (jitter 5 ms) to the device")
        #expect(LinkFault.slice(bytes: 1).description == "slices of 1 byte both ways")
        #expect(FaultOutcome(fault: .drop, connectionsReset: 2, isListening: true).description == "drop (reset every open connection): reset 2 connections")
        #expect(FaultOutcome(fault: .refuse, isListening: false).description == "refuse (new connections refused): new connections refused")
    }
}
