import Devices
import IoTHubCore
import MQTTCore

/// One packet as the run recorded it: at its device's vantage, with the device it belongs to
/// (`nil` when no device of the run could be told: a client id that is no device's).
public struct PacketObservation: Sendable, Hashable {
    public var record: PacketRecord
    public var vantage: Vantage
    public var device: DeviceID?

    public init(record: PacketRecord, vantage: Vantage, device: DeviceID?) {
        self.record = record
        self.vantage = vantage
        self.device = device
    }

    /// Which way the packet went: towards the hub or towards the device.
    public var flow: PacketFlow {
        (vantage == .device) == (record.direction == .outbound) ? .toHub : .toDevice
    }
}

/// Everything a run records, in the runner's own vocabulary, each recorded once.
public enum RunEvent: Sendable, Hashable {
    /// A scenario step started (the cause later expectations measure from); `iteration`
    /// counts from 1 inside `repeat` blocks.
    case step(StepNumber, iteration: Int?)
    /// A packet, at its device's vantage.
    case packet(PacketObservation)
    /// Something a device reported.
    case device(DeviceID, DeviceEvent)
    /// Something the cloud side saw or did.
    case cloud(CloudEvent)
    /// A fault struck, acted or healed.
    case fault(FaultEvent)
}

extension RunEvent {
    /// The device the event concerns, if one.
    var deviceID: DeviceID? {
        switch self {
        case .device(let id, _): id
        case .cloud(let event): event.device
        case .packet(let observation): observation.device
        case .step, .fault: nil
        }
    }
}
