/// The network faults active on a tap proxy, and what applying or healing one does to its open
/// connections and its listener. Pure: the proxy carries the decisions out.
package struct LinkConditions: Sendable, Hashable {
    /// What a change does to every open connection.
    package enum ConnectionEffect: Sendable, Hashable {
        /// Nothing.
        case untouched
        /// Each takes the new shaping and hold (``flow(_:)``, ``isBlackholed``).
        case reshape
        /// Each is reset both ways (RST).
        case reset
        /// Each is closed both ways (FIN) after the bytes in flight.
        case close
    }

    /// What a change does to the listening socket.
    package enum ListenerEffect: Sendable, Hashable {
        case unchanged
        /// Stop listening: new connections are refused by the system.
        case stopListening
        /// Listen again on the same port.
        case listenAgain
    }

    /// The decision for one apply or heal.
    package struct Change: Sendable, Hashable {
        package var connections: ConnectionEffect
        package var listener: ListenerEffect
        /// The fault kinds that were active and no longer are (for a heal).
        package var healed: [LinkFault.Kind]

        package init(connections: ConnectionEffect = .untouched, listener: ListenerEffect = .unchanged, healed: [LinkFault.Kind] = []) {
            self.connections = connections
            self.listener = listener
            self.healed = healed
        }
    }

    package private(set) var toHub = FlowConditions.none
    package private(set) var toDevice = FlowConditions.none
    package private(set) var isBlackholed = false
    private var isRefusing = false
    private var isPartitioned = false

    package init() {}

    /// Whether new connections are refused (a `refuse` or a `partition` is active).
    package var refusesConnections: Bool { isRefusing || isPartitioned }

    /// The shaping of the bytes going `direction` (`.toHub` or `.toDevice`).
    package func flow(_ direction: LinkDirections) -> FlowConditions {
        direction == .toHub ? toHub : toDevice
    }

    /// The kinds of the faults in force (`drop` and `close` act once and are never in force).
    package var activeKinds: [LinkFault.Kind] {
        LinkFault.Kind.allCases.filter { kind in
            switch kind {
            case .drop, .close: false
            case .blackhole: isBlackholed
            case .delay: toHub.delay > 0 || toHub.jitter > 0 || toDevice.delay > 0 || toDevice.jitter > 0
            case .bandwidth: toHub.bytesPerSecond != nil || toDevice.bytesPerSecond != nil
            case .slice: toHub.sliceBytes != nil || toDevice.sliceBytes != nil
            case .refuse: isRefusing
            case .partition: isPartitioned
            }
        }
    }

    /// Puts `fault` in force (a validated one: see ``LinkFault/validate()``). A delay, bandwidth
    /// or slice replaces the one before it in the directions it names.
    package mutating func apply(_ fault: LinkFault) -> Change {
        let wasRefusing = refusesConnections
        switch fault {
        case .drop:
            return Change(connections: .reset)
        case .close:
            return Change(connections: .close)
        case .blackhole:
            isBlackholed = true
            return Change(connections: .reshape)
        case .delay(let delay, let jitter, let directions):
            shape(directions) {
                $0.delay = delay.nanosecondCount
                $0.jitter = jitter.nanosecondCount
            }
            return Change(connections: .reshape)
        case .bandwidth(let rate, let directions):
            shape(directions) { $0.bytesPerSecond = rate }
            return Change(connections: .reshape)
        case .slice(let bytes, let directions):
            shape(directions) { $0.sliceBytes = bytes }
            return Change(connections: .reshape)
        case .refuse:
            isRefusing = true
            return Change(listener: wasRefusing ? .unchanged : .stopListening)
        case .partition:
            isPartitioned = true
            return Change(connections: .reset, listener: wasRefusing ? .unchanged : .stopListening)
        }
    }

    /// Ends the faults of `kind` (`nil`: all of them).
    package mutating func heal(_ kind: LinkFault.Kind?) -> Change {
        let before = self
        let kinds = kind.map { [$0] } ?? LinkFault.Kind.allCases
        for kind in kinds {
            switch kind {
            case .drop, .close: break
            case .blackhole: isBlackholed = false
            case .delay: shape(.both) { $0.delay = 0; $0.jitter = 0 }
            case .bandwidth: shape(.both) { $0.bytesPerSecond = nil }
            case .slice: shape(.both) { $0.sliceBytes = nil }
            case .refuse: isRefusing = false
            case .partition: isPartitioned = false
            }
        }
        let healed = before.activeKinds.filter { !activeKinds.contains($0) }
        let reshaped = before.toHub != toHub || before.toDevice != toDevice || before.isBlackholed != isBlackholed
        let listens = before.refusesConnections && !refusesConnections
        return Change(connections: reshaped ? .reshape : .untouched, listener: listens ? .listenAgain : .unchanged, healed: healed)
    }

    private mutating func shape(_ directions: LinkDirections, _ body: (inout FlowConditions) -> Void) {
        if directions.contains(.toHub) { body(&toHub) }
        if directions.contains(.toDevice) { body(&toDevice) }
    }
}

extension Duration {
    /// Whole nanoseconds (the fault's durations are validated to at most an hour).
    var nanosecondCount: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
