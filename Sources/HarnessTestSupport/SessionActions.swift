import MQTTClientCore
import MQTTCore

extension Array where Element == MQTTClientSession.Action {
    /// The packets these actions send, in order.
    public var sentPackets: [MQTTPacket] {
        compactMap { action in
            if case .send(let packet) = action { return packet }
            return nil
        }
    }

    /// The CONNECT these actions send, if any.
    public var sentConnect: ConnectPacket? {
        for case .connect(let packet) in sentPackets { return packet }
        return nil
    }

    /// Whether these actions complete an operation.
    public var completesAnOperation: Bool {
        contains { action in
            if case .complete = action { return true }
            return false
        }
    }
}
