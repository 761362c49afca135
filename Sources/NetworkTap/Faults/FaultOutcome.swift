/// What applying a fault did, for the run's record and the step's result.
public struct FaultOutcome: Sendable, Hashable, CustomStringConvertible {
    /// The fault applied.
    public var fault: LinkFault
    /// Open connections reset (RST) by a `drop` or `partition`.
    public var connectionsReset: Int
    /// Open connections closed (FIN) by a `close`.
    public var connectionsClosed: Int
    /// Open connections that took a condition (`blackhole`, `delay`, `bandwidth`, `slice`);
    /// connections opened later take it too.
    public var connectionsShaped: Int
    /// Whether the proxy listens for new connections after the fault.
    public var isListening: Bool
    /// Why the proxy could not change its listener as the fault asks, if it could not.
    public var listenerFailure: String?

    public init(fault: LinkFault, connectionsReset: Int = 0, connectionsClosed: Int = 0, connectionsShaped: Int = 0, isListening: Bool, listenerFailure: String? = nil) {
        self.fault = fault
        self.connectionsReset = connectionsReset
        self.connectionsClosed = connectionsClosed
        self.connectionsShaped = connectionsShaped
        self.isListening = isListening
        self.listenerFailure = listenerFailure
    }

    /// The outcome in plain words, e.g. "drop (reset every open connection): reset 1 connection".
    public var description: String {
        var parts: [String] = []
        switch fault.kind {
        case .drop, .partition: parts.append("reset \(Self.count(connectionsReset))")
        case .close: parts.append("closed \(Self.count(connectionsClosed))")
        case .blackhole, .delay, .bandwidth, .slice: parts.append("\(Self.count(connectionsShaped)) open, and every new one, affected")
        case .refuse: break
        }
        if fault.kind == .refuse || fault.kind == .partition {
            parts.append(isListening ? "still listening" : "new connections refused")
        }
        if let listenerFailure { parts.append(listenerFailure) }
        return "\(fault.description): \(parts.joined(separator: "; "))"
    }

    static func count(_ connections: Int) -> String {
        connections == 1 ? "1 connection" : "\(connections) connections"
    }
}

/// What healing did.
public struct HealOutcome: Sendable, Hashable, CustomStringConvertible {
    /// The fault kinds that were in force and now are not.
    public var healed: [LinkFault.Kind]
    /// Whether the proxy listens for new connections after the heal.
    public var isListening: Bool
    /// Why the proxy could not listen again on its port, if it could not.
    public var listenerFailure: String?

    public init(healed: [LinkFault.Kind], isListening: Bool, listenerFailure: String? = nil) {
        self.healed = healed
        self.isListening = isListening
        self.listenerFailure = listenerFailure
    }

    /// The outcome in plain words, e.g. "healed blackhole, delay".
    public var description: String {
        var text = healed.isEmpty ? "no fault was in force" : "healed \(healed.map(\.rawValue).joined(separator: ", "))"
        if let listenerFailure { text += "; \(listenerFailure)" }
        return text
    }
}
