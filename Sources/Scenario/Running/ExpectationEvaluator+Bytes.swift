import Devices
import IoTHubCore
import NIOCore
import Synchronization

extension ExpectationEvaluator {
    /// `bytes: "20 02 00 00"`: the bytes the device reads after the causing action must start
    /// with exactly these (more may follow). Decided as soon as enough bytes arrived, a wrong
    /// one arrived, or the connection closed first. With `exact: true` nothing else may
    /// arrive: decided when the connection closes, when a byte too many or a wrong one
    /// arrives, or at the deadline (passing if exactly these arrived by then).
    ///
    /// A failure because other bytes arrived (a wrong one, or one too many) carries the place
    /// in the record where they did (`contradictedAt`), for `one_of` to tell what came first.
    func evaluateBytes(_ expected: HexBytes, exact: Bool, device: DeviceID, cause: Cause, windowEnd: UInt64, expected description: String) async -> Evaluation {
        let stream = ReceivedBytes(device: device, expected: expected.bytes, exact: exact)
        let match = await record.firstMatch(from: cause.index, until: windowEnd) { stream.isDecided(after: $0) }
        let received = stream.bytes
        let shown = HexBytes.format(received.prefix(expected.bytes.count + 8)) + (received.count > expected.bytes.count + 8 ? " ..." : "")
        guard let (matchIndex, entry) = match, entry.time <= windowEnd else {
            if exact, received == expected.bytes {
                return Evaluation(status: .passed, latency: stream.lastArrival.map { .nanoseconds(Int64($0 &- cause.time)) })
            }
            let observed = received.isEmpty ? "no bytes arrived" : "only \(received.count) byte(s) arrived: \(shown)"
            return Evaluation(status: .failed(Failure(expected: description, observed: observed)), latency: nil)
        }
        let latency = Duration.nanoseconds(Int64(entry.time &- cause.time))
        if exact ? received == expected.bytes : received.starts(with: expected.bytes) {
            return Evaluation(status: .passed, latency: latency, matchIndex: matchIndex)
        }
        if stream.closed {
            // Closed before all of them arrived (what did arrive was a beginning of them).
            let observed = received.isEmpty
                ? "the connection closed after \(ScenarioDuration.formatMilliseconds(latency)) with no bytes"
                : "the connection closed after \(ScenarioDuration.formatMilliseconds(latency)) with only \(shown)"
            return Evaluation(status: .failed(Failure(expected: description, observed: observed)), latency: nil)
        }
        // Other bytes than these arrived: decided against them at this entry.
        let observed = exact && received.starts(with: expected.bytes) ? "more arrived: \(shown)" : "received \(shown)"
        return Evaluation(status: .failed(Failure(expected: description, observed: observed)), latency: nil, contradictedAt: matchIndex)
    }
}

/// The bytes one device reads, collected entry by entry from the record.
final class ReceivedBytes: Sendable {
    private struct State {
        var bytes: [UInt8] = []
        var closed = false
        var lastArrival: UInt64?
    }

    let device: DeviceID
    let expected: [UInt8]
    let exact: Bool
    private let state = Mutex(State())

    init(device: DeviceID, expected: [UInt8], exact: Bool) {
        self.device = device
        self.expected = expected
        self.exact = exact
    }

    var bytes: [UInt8] { state.withLock { $0.bytes } }
    var closed: Bool { state.withLock { $0.closed } }
    /// When the last byte arrived, on the run's clock.
    var lastArrival: UInt64? { state.withLock { $0.lastArrival } }

    /// Takes one entry; whether enough bytes arrived (or the connection closed) to decide.
    func isDecided(after entry: RunRecord.Entry) -> Bool {
        guard case .device(device, let event) = entry.event else { return false }
        return state.withLock { state in
            switch event {
            case .bytesReceived(let buffer):
                state.bytes += buffer.readableBytesView
                state.lastArrival = entry.time
                // Undecided while what arrived is still a beginning of the expected bytes.
                guard exact else { return state.bytes.count >= expected.count || !expected.starts(with: state.bytes.prefix(expected.count)) }
                return state.bytes.count > expected.count || !expected.starts(with: state.bytes)
            case .disconnected:
                state.closed = true
                return true
            default:
                return false
            }
        }
    }
}
