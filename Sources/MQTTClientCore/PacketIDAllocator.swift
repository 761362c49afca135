/// Hands out MQTT packet identifiers: counting from 1, wrapping after 65,535 back to 1, and
/// skipping identifiers still in flight [MQTT-2.3.1-2]. One per session.
public struct PacketIDAllocator: Sendable, Hashable {
    /// The identifier handed out last; 0 before the first.
    public private(set) var last: UInt16 = 0

    public init() {}

    /// The next identifier after ``last`` for which `isInFlight` is false, or `nil` when all
    /// 65,535 are in flight.
    public mutating func next(skipping isInFlight: (UInt16) -> Bool) -> UInt16? {
        var candidate = last
        for _ in 0..<Int(UInt16.max) {
            candidate = candidate == .max ? 1 : candidate + 1
            if !isInFlight(candidate) {
                last = candidate
                return candidate
            }
        }
        return nil
    }
}
