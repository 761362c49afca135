import MQTTCore
import NIOCore

/// The seed firmware's application logic: its `lightLed(topic, msg)` callback switches the
/// status LED on for the payload `on` and off for any other payload.
public struct LEDFirmware: Sendable, Hashable {
    /// The status LED's current state; it starts off.
    public private(set) var isOn = false

    public init() {}

    /// Runs the callback for one message.
    /// - Returns: the LED's new state and whether it changed.
    public mutating func handleMessage(topic: TopicName, payload: ByteBuffer) -> (isOn: Bool, changed: Bool) {
        let newState = payload.readableBytesView.elementsEqual("on".utf8)
        let changed = newState != isOn
        isOn = newState
        return (newState, changed)
    }
}
