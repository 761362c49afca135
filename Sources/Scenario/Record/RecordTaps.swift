import Devices
import IoTHubCore
import MQTTCore

/// Feeds the packets one codec sees into the run's record.
struct RecordTap: PacketTap {
    let runRecord: RunRecord
    let vantage: Vantage
    /// The device whose codec this is; `nil` for the hub's codec.
    let device: DeviceID?

    func record(_ packet: PacketRecord) {
        runRecord.appendPacket(packet, seenAt: vantage, device: device)
    }
}

/// Records what a tap proxy sees of one device as the device's own observations: every packet,
/// plus a CONNACK event for each CONNACK the broker sends it (what a device with its own codec
/// reports), so `expect connack` works for firmware behind the proxy.
struct TapProxyRecordTap: PacketTap {
    let runRecord: RunRecord
    let device: DeviceID

    func record(_ packet: PacketRecord) {
        runRecord.appendPacket(packet, seenAt: .device, device: device)
        if packet.direction == .inbound, case .connack(let connack) = packet.packet {
            runRecord.append(.device(device, .connAckReceived(connack)), at: packet.timestamp)
        }
    }
}
