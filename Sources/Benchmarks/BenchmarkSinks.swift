import MQTTCore
import NIOCore
import Synchronization

/// Consumes decoded packets so the optimiser cannot drop the work that made them.
final class Sink {
    private(set) var count = 0
    private(set) var checksum = 0

    @inline(never)
    func consume(_ packet: MQTTPacket) {
        count += 1
        if case .publish(let publish) = packet {
            checksum &+= publish.payload.readableBytes &+ publish.topic.string.utf8.count
        } else {
            checksum &+= Int(packet.type.rawValue)
        }
    }
}

/// The last handler of the benchmark pipeline: hands every packet to a ``Sink``.
final class SinkHandler: ChannelInboundHandler {
    typealias InboundIn = MQTTPacket
    let sink: Sink

    init(sink: Sink) {
        self.sink = sink
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        sink.consume(unwrapInboundIn(data))
    }
}

/// A tap that only counts records: the codec's own cost of tapping (clock read and record).
final class CountingTap: PacketTap {
    private let counter = Atomic<Int>(0)

    func record(_ record: PacketRecord) {
        counter.add(1, ordering: .relaxed)
    }

    var count: Int { counter.load(ordering: .relaxed) }
}

/// A tap that keeps every record under a lock, as a trace would (cleared when full).
final class StoringTap: PacketTap {
    private let records: Mutex<[PacketRecord]>
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        var storage: [PacketRecord] = []
        storage.reserveCapacity(capacity)
        records = Mutex(storage)
    }

    func record(_ record: PacketRecord) {
        records.withLock { records in
            if records.count == capacity { records.removeAll(keepingCapacity: true) }
            records.append(record)
        }
    }
}
