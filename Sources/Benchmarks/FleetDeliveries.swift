import Devices
import Foundation
import NIOCore
import Reporting
import Synchronization

/// When each C2D message of a fleet benchmark was sent and when its device's firmware got it,
/// on the one monotonic clock of the benchmark process. Message `i` goes to member `i` with
/// the payload `m{i}`.
final class FleetDeliveries: Sendable {
    private struct Times {
        var sent: [UInt64]
        var received: [UInt64]
        var duplicates = 0
        var strays = 0
    }

    private let times: Mutex<Times>
    private let receivedCount = Atomic<Int>(0)
    let count: Int

    init(count: Int) {
        self.count = count
        times = Mutex(Times(sent: Array(repeating: 0, count: count), received: Array(repeating: 0, count: count)))
    }

    /// Messages received at least once.
    var received: Int { receivedCount.load(ordering: .relaxed) }

    func sent(_ index: Int, at time: UInt64) {
        times.withLock { times in
            if times.sent.indices.contains(index) { times.sent[index] = time }
        }
    }

    /// A device's event: counts a message received the first time its index is seen.
    func observe(_ record: DeviceEventRecord) {
        guard case .messageReceived(_, let payload, _) = record.event else { return }
        let index = Self.index(in: payload)
        let isFirst = times.withLock { times -> Bool in
            guard let index, times.received.indices.contains(index) else {
                times.strays += 1
                return false
            }
            guard times.received[index] == 0 else {
                times.duplicates += 1
                return false
            }
            times.received[index] = max(record.timestamp, 1)
            return true
        }
        if isFirst { receivedCount.add(1, ordering: .relaxed) }
    }

    /// The index in a payload `m{i}`.
    static func index(in payload: ByteBuffer) -> Int? {
        let text = String(buffer: payload)
        guard text.hasPrefix("m") else { return nil }
        return Int(text.dropFirst())
    }

    /// What the deliveries add up to.
    struct Summary: Sendable {
        /// Send to receipt, of every message received.
        var latency: LatencyHistogram
        /// From the first send to the last receipt.
        var elapsed: Duration
        var missing: [Int]
        var duplicates: Int
        var strays: Int
    }

    func summary() -> Summary {
        times.withLock { times in
            var histogram = LatencyHistogram()
            var missing: [Int] = []
            var firstSent = UInt64.max
            var lastReceived: UInt64 = 0
            for index in 0..<count {
                let sent = times.sent[index]
                let received = times.received[index]
                if sent > 0 { firstSent = min(firstSent, sent) }
                guard received > 0, sent > 0 else {
                    missing.append(index)
                    continue
                }
                lastReceived = max(lastReceived, received)
                histogram.record(nanoseconds: received >= sent ? received - sent : 0)
            }
            let elapsed: Duration = lastReceived > firstSent ? .nanoseconds(Int64(clamping: lastReceived - firstSent)) : .zero
            return Summary(latency: histogram, elapsed: elapsed, missing: missing, duplicates: times.duplicates, strays: times.strays)
        }
    }
}
