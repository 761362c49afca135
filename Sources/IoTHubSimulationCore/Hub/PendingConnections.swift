import IoTHubCore

/// The connections still waiting for their CONNECT to be accepted, in the order they opened,
/// so that at the limit the one that has waited longest can make room for a new one.
///
/// Connections leave in any order (accepted, refused, closed, timed out); they are crossed
/// off lazily and the list is compacted when it holds more stale entries than live ones, so
/// each operation costs O(1) amortized.
struct PendingConnections: Sendable {
    private var order: [(connection: ConnectionID, openedAt: HubTime)] = []
    private var head = 0
    private var members: Set<ConnectionID> = []

    /// How many connections are waiting.
    var count: Int { members.count }

    /// Whether `connection` is waiting.
    func contains(_ connection: ConnectionID) -> Bool { members.contains(connection) }

    /// `connection` opened at `time` and waits for its CONNECT.
    mutating func insert(_ connection: ConnectionID, openedAt time: HubTime) {
        guard members.insert(connection).inserted else { return }
        order.append((connection, time))
    }

    /// `connection` no longer waits (its CONNECT was accepted, or it ended).
    mutating func remove(_ connection: ConnectionID) {
        guard members.remove(connection) != nil else { return }
        if order.count - head > 2 * members.count + 64 { compact() }
    }

    /// The connection that has waited longest, and since when.
    mutating func oldest() -> (connection: ConnectionID, openedAt: HubTime)? {
        while head < order.count, !members.contains(order[head].connection) { head += 1 }
        return head < order.count ? order[head] : nil
    }

    private mutating func compact() {
        order = order[head...].filter { members.contains($0.connection) }
        head = 0
    }
}
