import Devices
import Foundation
import HarnessTestSupport
import IoTHubCore
import MQTTCore
import NIOPosix
import NetworkTap
@testable import Scenario
import Testing

/// Firmware that speaks MQTT 5.0 behind the run's own tap proxy (``DeviceProxy``): its packets
/// reach the run's record as the device's, decoded as 5.0, and read as such in its text.
@Suite(.serialized) struct DeviceProxyVersion5Tests {
    @Test("mosquitto_pub -V mqttv5 behind a device's proxy: the record holds its 5.0 packets at the device's vantage, the accepted CONNACK as its event, and the PUBACK's reason code in its line")
    func version5Firmware() async throws {
        let broker = try await Mosquitto.start()
        defer { broker.stop() }
        let environment = RunEnvironment(group: MultiThreadedEventLoopGroup.singleton)
        let record = RunRecord(clock: environment.clock)
        let id = try DeviceID("sensor")
        record.watch(id, at: .device)
        let proxy = try await DeviceProxy.start(
            for: id, listen: DeviceSpec.TapAddress(host: "127.0.0.1", port: 0), upstream: DeviceEndpoint(host: "127.0.0.1", port: broker.port, tls: nil),
            recordsPackets: true, environment: environment, record: record
        )
        let output = try await ExternalTool.run(
            try ExternalTool.locate("mosquitto_pub", package: "mosquitto-clients"),
            ["-V", "mqttv5", "-h", proxy.host, "-p", String(proxy.port), "-i", "sensor", "-q", "1", "-t", "lab/t", "-m", "21.5", "-D", "PUBLISH", "user-property", "unit", "C"],
            timeout: .seconds(20)
        )
        #expect(output.status == 0, "\(output.standardError)")
        let closed = await record.firstMatch(from: 0, until: environment.clock.nanoseconds() + 5_000_000_000) { entry in
            if case .device(_, .disconnected) = entry.event { true } else { false }
        }
        #expect(closed != nil, "the tap saw the connection close")
        await proxy.proxy.stop()
        let entries = record.entries()
        let packets = entries.compactMap { entry -> PacketObservation? in
            if case .packet(let observation) = entry.event { observation } else { nil }
        }
        #expect(packets.map(\.record.packet.type) == [.connect, .connack, .publish, .puback, .disconnect])
        #expect(packets.allSatisfy { $0.device == id && $0.vantage == .device })
        #expect(packets.map(\.flow) == [.toHub, .toDevice, .toHub, .toDevice, .toHub])
        #expect(entries.contains { entry in
            if case .device(id, .connAckReceived(let connack)) = entry.event { connack.isAccepted } else { false }
        })
        guard packets.count == 5 else { return }
        #expect(packets[2].record.packet.properties.userProperties.map { "\($0.name)=\($0.value)" } == ["unit=C"])
        #expect(RecordText.packetLine(packets[3]).hasSuffix("id=1 reason=0x10(no_matching_subscribers)"), "\(RecordText.packetLine(packets[3]))")
        #expect(RecordText.packetLine(packets[2]).contains("properties=[user_property=unit:C]"))
    }
}
