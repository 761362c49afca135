/// The ways bytes travel through the tap proxy, as a set: toward the hub (or broker), toward
/// the device, or both.
public struct LinkDirections: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Bytes the device sends, on their way to the hub or broker.
    public static let toHub = LinkDirections(rawValue: 1)
    /// Bytes the hub or broker sends, on their way to the device.
    public static let toDevice = LinkDirections(rawValue: 2)
    /// Both ways.
    public static let both: LinkDirections = [.toHub, .toDevice]

    /// "to the hub", "to the device" or "both ways".
    public var words: String {
        switch self {
        case .toHub: "to the hub"
        case .toDevice: "to the device"
        case .both: "both ways"
        default: "no direction"
        }
    }
}

/// A network fault the tap proxy can put on the path between a device and its hub or broker.
///
/// The proxy never looks inside the bytes to carry out a fault, so every fault works for TLS
/// passed through as well as for plain MQTT. Several conditions can be active at once (a delay
/// and a slice, say); `drop` and `close` act once, when applied.
public enum LinkFault: Sendable, Hashable {
    /// Every open connection is reset both ways (TCP RST, as `SO_LINGER` 0 then close); bytes
    /// in flight are lost, as with a real reset. Acts once; later connections are untouched.
    case drop
    /// Every open connection is closed cleanly both ways (FIN, as after a server's close): the
    /// bytes already in flight toward each side are delivered first. Acts once.
    case close
    /// Open and later connections stay open and carry nothing either way (the half-open link a
    /// Wi-Fi drop leaves behind) until healed. The proxy stops reading both sides, so bytes are
    /// held, not lost: at heal they flow again, in order, as if the link had been frozen.
    case blackhole
    /// Each chunk of bytes leaves the proxy `delay` after it arrived, plus a jitter drawn
    /// uniformly from `-jitter...jitter` (with the proxy's seeded generator), never before the
    /// chunk ahead of it and never before it arrived.
    case delay(Duration, jitter: Duration = .zero, directions: LinkDirections = .both)
    /// Bytes leave no faster than `bytesPerSecond` (a token bucket holding 10 ms of bytes).
    case bandwidth(bytesPerSecond: Int, directions: LinkDirections = .both)
    /// Bytes arrive at the other side in pieces of at most `bytes`, each its own write with a
    /// pause of ``LinkFault/slicePause`` after it, so the receiver reads them separately.
    case slice(bytes: Int, directions: LinkDirections = .both)
    /// New connections are refused (the proxy stops listening, so a connect gets
    /// `ECONNREFUSED`); open ones are untouched. At heal the proxy listens on the same port again.
    case refuse
    /// Open connections are reset (as ``drop``) and new ones refused (as ``refuse``) until healed.
    case partition

    /// The pause after each piece of a sliced stream.
    public static let slicePause: Duration = .milliseconds(1)

    /// The longest delay or jitter a fault may ask for.
    public static let longestDelay: Duration = .seconds(3600)

    /// A fault's kind, without its parameters: what ``TapProxy/heal(_:)`` ends.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case drop, close, blackhole, delay, bandwidth, slice, refuse, partition
    }

    /// This fault's kind.
    public var kind: Kind {
        switch self {
        case .drop: .drop
        case .close: .close
        case .blackhole: .blackhole
        case .delay: .delay
        case .bandwidth: .bandwidth
        case .slice: .slice
        case .refuse: .refuse
        case .partition: .partition
        }
    }

    /// Checks the fault's parameters.
    /// - Throws: ``LinkFaultError/invalid(fault:reason:)`` for a negative or overlong delay or
    ///   jitter, a rate or piece size that is not positive, or no direction.
    public func validate() throws(LinkFaultError) {
        func fail(_ reason: String) -> LinkFaultError { .invalid(fault: kind, reason: reason) }
        switch self {
        case .drop, .close, .blackhole, .refuse, .partition:
            return
        case .delay(let delay, let jitter, let directions):
            guard delay >= .zero else { throw fail("the delay must not be negative (it is \(delay))") }
            guard jitter >= .zero else { throw fail("the jitter must not be negative (it is \(jitter))") }
            guard delay <= Self.longestDelay, jitter <= Self.longestDelay else {
                throw fail("a delay or jitter longer than \(Self.longestDelay) is not a network fault")
            }
            guard !directions.isEmpty else { throw fail("it names no direction") }
        case .bandwidth(let rate, let directions):
            guard rate > 0 else { throw fail("the rate must be at least 1 byte per second (it is \(rate))") }
            guard !directions.isEmpty else { throw fail("it names no direction") }
        case .slice(let bytes, let directions):
            guard bytes > 0 else { throw fail("pieces must hold at least 1 byte (asked for \(bytes))") }
            guard !directions.isEmpty else { throw fail("it names no direction") }
        }
    }

    /// The fault in plain words, e.g. "delay of 200 ms (jitter 5 ms) to the device".
    public var description: String {
        switch self {
        case .drop: "drop (reset every open connection)"
        case .close: "close (close every open connection)"
        case .blackhole: "blackhole (connections stay open and carry nothing)"
        case .delay(let delay, let jitter, let directions):
            jitter == .zero
                ? "delay of \(Self.words(delay)) \(directions.words)"
                : "delay of \(Self.words(delay)) (jitter \(Self.words(jitter))) \(directions.words)"
        case .bandwidth(let rate, let directions): "bandwidth of \(rate) bytes per second \(directions.words)"
        case .slice(let bytes, let directions): "slices of \(bytes) byte\(bytes == 1 ? "" : "s") \(directions.words)"
        case .refuse: "refuse (new connections refused)"
        case .partition: "partition (open connections reset, new ones refused)"
        }
    }

    static func words(_ duration: Duration) -> String {
        let nanoseconds = duration.nanosecondCount
        if nanoseconds % 1_000_000 == 0 { return "\(nanoseconds / 1_000_000) ms" }
        return "\(Double(nanoseconds) / 1e6) ms"
    }
}

/// Why the tap proxy could not carry out a fault.
public enum LinkFaultError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The fault's parameters make no sense.
    case invalid(fault: LinkFault.Kind, reason: String)
    /// The proxy has not been started, or was stopped.
    case notRunning

    public var description: String {
        switch self {
        case .invalid(let fault, let reason): "the \(fault.rawValue) fault cannot be applied: \(reason)"
        case .notRunning: "the tap proxy is not running"
        }
    }
}
