import MQTTCore
import Synchronization

/// A packet tap that keeps every record, for checks on what crossed the wire.
public final class PacketRecorder: PacketTap {
    private let storage = Mutex<[PacketRecord]>([])

    public init() {}

    public func record(_ record: PacketRecord) { storage.withLock { $0.append(record) } }

    /// Every record so far, in wire order.
    public var records: [PacketRecord] { storage.withLock { $0 } }

    /// The packets sent, with the number of the connection each went out on.
    public var sent: [(connection: UInt64, packet: MQTTPacket)] {
        records.filter { $0.direction == .outbound }.map { ($0.connection, $0.packet) }
    }
}
