import Foundation
import HarnessTestSupport
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import NIOPosix
import Testing

/// The official Python SDK over MQTT over WebSockets (`websockets=True`), in the serialized
/// SDK suite: the SDK always dials 443, so the hub binds 127.0.0.1:443 (the tests run as root).
extension IoTHubSDKTests {
    @Test("WebSockets: the SDK connects with websockets=True to wss://localhost/$iothub/websocket on 443, reports its twin, receives a C2D at QoS 1, and the hub saw its packets as MQTT")
    func pythonSDKWebSockets() async throws {
        let python = try Repository.python()
        let script = try #require(Bundle.module.url(forResource: "sdk_device", withExtension: "py", subdirectory: "Python")).path
        let key = DeviceKey.random()
        let events = Events()
        let packets = PacketRecorder()
        let hub = SimulatedHub(
            configuration: HubConfiguration(hostName: Self.hostName),
            registry: DeviceRegistry(devices: [DeviceRecord(id: device, primaryKey: key)]),
            group: MultiThreadedEventLoopGroup.singleton,
            observer: { events.append($0) },
            tap: packets
        )
        let endpoints = try await hub.start(HubListeners(tlsPort: 0, webSocketPort: 443))
        #expect(endpoints.webSocketPort == 443)
        #expect(endpoints.webSocketUsesTLS)
        let ca = try #require(endpoints.caCertificatePath)
        let connectionString = ConnectionString(hostName: Self.hostName, deviceID: device.string, sharedAccessKey: key, gatewayHostName: "localhost").rendered
        let sdk = try ExternalProcess(python, [script, "--websockets", connectionString, ca, "3600"])
        defer { sdk.terminate() }
        do {
            guard await sdk.waitForLine(startingWith: "READY", timeout: .seconds(60)) != nil else {
                Issue.record("the SDK did not get ready over WebSockets:\n\(sdk.transcript)")
                await hub.stop()
                return
            }
            #expect(try await hub.twin(of: device).reported["led"] == .string("on"))
            try await hub.sendCloudToDevice(CloudToDeviceMessage(payload: ByteBuffer(string: "on"), properties: ["color": "red"], messageID: "c2d-ws"), to: device)
            let received = await sdk.waitForLine(startingWith: "C2D c2d-ws ", timeout: .seconds(10))
            #expect(received == #"C2D c2d-ws on {"color": "red"}"#, "\(sdk.transcript)")
            #expect(events.all.contains(.cloudToDeviceDelivered(device, messageID: "c2d-ws", qos: .atLeastOnce, duplicate: false)))
            // The packet tap sits at the MQTT codec: the WebSocket connection is in it as MQTT.
            let inbound = packets.records.filter { $0.direction == .inbound }.map(\.packet)
            #expect(inbound.contains { if case .connect = $0 { true } else { false } })
            #expect(packets.sent.contains { if case .publish = $0.packet { true } else { false } })
        } catch {
            await hub.stop()
            throw error
        }
        sdk.send("quit")
        let status = await sdk.wait(timeout: .seconds(20))
        #expect(status == 0, "\(sdk.transcript)")
        #expect(sdk.lines(startingWith: "ERROR").isEmpty, "\(sdk.transcript)")
        await hub.stop()
    }
}
