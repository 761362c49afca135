/// Where and how MQTT travels over WebSockets to an IoT hub: the resource path and the
/// WebSocket subprotocol, shared by the simulated hub and the client transport.
public enum MQTTWebSocketEndpoint {
    /// The resource the hub serves MQTT over WebSockets on (iothub-mqtt.md section 11).
    public static let path = "/$iothub/websocket"
    /// The WebSocket subprotocol MQTT uses (`Sec-WebSocket-Protocol: mqtt`).
    public static let subprotocol = "mqtt"
    /// The port the real hub serves WebSockets on, and the one the Azure SDKs always dial.
    public static let standardPort = 443
}
