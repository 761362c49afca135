import Devices
import IoTHubCore
import NIOCore
import Synchronization

extension ExpectationEvaluator {
    /// `bytes: "20 02 00 00"`: the bytes the device reads after the causing action must start
    /// with exactly these (more may follow). Decided as soon as enough bytes arrived, or when
    /// the connection closed first.
    func evaluateBytes(_ expected: HexBytes, device: DeviceID, cause: Cause, windowEnd: UInt64, expected description: String) async -> Evaluation {
        let stream = ReceivedBytes(device: device, wanted: expected.bytes.count)
        let match = await timeline.firstMatch(from: cause.index, until: windowEnd) { stream.isDecided(after: $0) }
        let received = stream.bytes
        let shown = HexBytes.format(received.prefix(expected.bytes.count + 8)) + (received.count > expected.bytes.count + 8 ? " ..." : "")
        guard let (_, entry) = match, entry.time <= windowEnd else {
            let observed = received.isEmpty ? "no bytes arrived" : "only \(received.count) byte(s) arrived: \(shown)"
            return Evaluation(status: .failed(Failure(expected: description, observed: observed)), latency: nil)
        }
        let latency = Duration.nanoseconds(Int64(entry.time &- cause.time))
        if received.starts(with: expected.bytes) {
            return Evaluation(status: .passed, latency: latency)
        }
        let observed: String
        if received.count < expected.bytes.count, stream.closed {
            observed = received.isEmpty
                ? "the connection closed after \(Self.formatMilliseconds(latency)) with no bytes"
                : "the connection closed after \(Self.formatMilliseconds(latency)) with only \(shown)"
        } else {
            observed = "received \(shown)"
        }
        return Evaluation(status: .failed(Failure(expected: description, observed: observed)), latency: nil)
    }
}

/// The bytes one device reads, collected entry by entry from the timeline.
final class ReceivedBytes: Sendable {
    private struct State {
        var bytes: [UInt8] = []
        var closed = false
    }

    let device: DeviceID
    let wanted: Int
    private let state = Mutex(State())

    init(device: DeviceID, wanted: Int) {
        self.device = device
        self.wanted = wanted
    }

    var bytes: [UInt8] { state.withLock { $0.bytes } }
    var closed: Bool { state.withLock { $0.closed } }

    /// Takes one entry; whether enough bytes arrived (or the connection closed) to decide.
    func isDecided(after entry: TimelineEntry) -> Bool {
        guard case .device(device, let event) = entry.observation else { return false }
        return state.withLock { state in
            switch event {
            case .bytesReceived(let buffer):
                state.bytes += buffer.readableBytesView
                return state.bytes.count >= wanted
            case .disconnected:
                state.closed = true
                return true
            default:
                return false
            }
        }
    }
}
