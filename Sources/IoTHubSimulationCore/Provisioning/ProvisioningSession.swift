import IoTHubCore
import MQTTCore

/// The Device Provisioning Service side of one connection: who connected, with what token,
/// and whether it subscribed to the answers.
struct ProvisioningSession: Sendable {
    var registrationID: RegistrationID
    /// The CONNECT password (a SAS token), checked at the registration request. Secret.
    var password: String?
    /// The QoS granted to `$dps/registrations/res/#`, or `nil` before the subscription.
    var responseQoS: MQTTQoS?
    var lastPacketID: UInt16 = 0

    mutating func nextPacketID() -> UInt16 {
        lastPacketID = lastPacketID == .max ? 1 : lastPacketID + 1
        return lastPacketID
    }
}
