import Devices
import IoTHubCore
import MQTTClientCore
import Synchronization

/// What the Device Provisioning Service assigned to the run's devices: the hub and device id
/// a device connects with after its `provision` step, and the key it attested with (which,
/// for a symmetric-key enrollment, is the key the hub now holds for it). Secret keys.
final class ProvisionedDevices: Sendable {
    /// One device's assignment.
    struct Assignment: Sendable {
        var hostName: String
        var deviceID: DeviceID
        /// `nil` for a device that attested with its certificate.
        var key: DeviceKey?
    }

    private let assignments = Mutex<[DeviceID: Assignment]>([:])

    init() {}

    /// The assignment of `device`, if it provisioned.
    func assignment(of device: DeviceID) -> Assignment? {
        assignments.withLock { $0[device] }
    }

    /// The keys devices attested with (derived from a group key, or a step's): secrets the
    /// reports must mask, as a device's own key is.
    var keys: [DeviceKey] {
        assignments.withLock { $0.values.compactMap(\.key) }
    }

    func record(_ assignment: Assignment, for device: DeviceID) {
        assignments.withLock { $0[device] = assignment }
    }
}

/// A device's tokens once it provisioned: minted for the hub and device id DPS assigned with
/// the key it attested with; before that (or for a device that attested with its
/// certificate), those of its usual source.
struct ProvisionedTokenSource: TokenSource {
    var device: DeviceID
    var base: (any TokenSource)?
    var provisioned: ProvisionedDevices
    var ttl: Duration
    var clock: any WallClock

    func token() async throws -> ClientToken {
        if let assignment = provisioned.assignment(of: device), let key = assignment.key {
            return MintedTokenSource(deviceID: assignment.deviceID, hostName: assignment.hostName, key: key, ttl: ttl, clock: clock).mint()
        }
        guard let base else { throw TokenSourceError(source: "provisioning", reason: "device '\(device)' has no token before it is provisioned") }
        return try await base.token()
    }

    var summary: String { "minted from the key it provisioned with" }
}
