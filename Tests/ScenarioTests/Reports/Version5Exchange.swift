import Devices
import Foundation
import HarnessTestSupport
import IoTHubCore
import MQTTCore
import NIOPosix
import NetworkTap
@testable import Scenario
import Synchronization
import Testing

/// A real MQTT 5.0 exchange for the report tests: `mosquitto_pub -V mqttv5` through the tap
/// proxy to a real Mosquitto, its packets made into a run's result as a tapped device's.
///
/// Connection 1 publishes at QoS 1 with user properties (one whose name looks secret, one
/// carrying markup and a terminal escape) and a content type; nobody subscribes, so the PUBACK
/// says no_matching_subscribers (0x10). Its CONNECT carries an `api-token` user property.
/// Connection 2 asks for an authentication method Mosquitto does not have: CONNACK
/// bad_authentication_method (0x8C); its CONNECT carries authentication data.
enum Version5Exchange {
    static let apiToken = "tok-SECRET-4242"
    static let signature = "sig-SECRET-7777"
    static let authenticationData = "auth-SECRET-5555"
    /// Markup from a peer, to be shown escaped. (Mosquitto refuses control characters in
    /// strings as malformed UTF-8; ``Version5ReportTests`` adds a broker's terminal escape.)
    static let hostileValue = "<b onclick=\"x\">&amp;</b>]]>"
    static let contentType = "text/<plain>"

    /// Why the exchange did not happen as planned; every test that uses it fails with it.
    struct ExchangeError: Error, CustomStringConvertible {
        var description: String
    }

    final class Recorder: PacketTap {
        let records = Mutex<[PacketRecord]>([])
        func record(_ record: PacketRecord) { records.withLock { $0.append(record) } }
    }

    /// Runs the exchange and returns its packets.
    static func record() async throws -> [PacketRecord] {
        let broker = try await Mosquitto.start()
        defer { broker.stop() }
        let recorder = Recorder()
        let proxy = TapProxy(upstreamHost: "127.0.0.1", upstreamPort: broker.port, group: MultiThreadedEventLoopGroup.singleton, tap: recorder)
        let port = try await proxy.start()
        let publish = try ExternalTool.locate("mosquitto_pub", package: "mosquitto-clients")
        let common = ["-V", "mqttv5", "-h", "127.0.0.1", "-p", String(port)]
        let first = try await ExternalTool.run(
            publish,
            common + [
                "-i", "sensor", "-q", "1", "-t", "lab/temperature", "-m", "21.5",
                "-D", "CONNECT", "user-property", "api-token", apiToken,
                "-D", "PUBLISH", "user-property", "site", hostileValue,
                "-D", "PUBLISH", "user-property", "sas-signature", signature,
                "-D", "PUBLISH", "content-type", contentType,
            ],
            timeout: .seconds(20)
        )
        guard first.status == 0 else { throw ExchangeError(description: "mosquitto_pub exited with \(first.status): \(first.standardError)") }
        // Refused: mosquitto_pub exits with an error, which is the point.
        _ = try await ExternalTool.run(
            publish,
            common + ["-i", "sensor-auth", "-t", "lab/x", "-m", "x", "-D", "CONNECT", "authentication-method", "SCRAM-SHA-1", "-D", "CONNECT", "authentication-data", authenticationData],
            timeout: .seconds(20)
        )
        let deadline = ContinuousClock.now + .seconds(5)
        while recorder.records.withLock({ $0.count }) < 7, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        await proxy.stop()
        let records = recorder.records.withLock { $0 }
        guard records.count == 7 else { throw ExchangeError(description: "7 packets expected, recorded: \(records.map(\.packet.summary))") }
        return records
    }

    /// The packets as a run's result: device `sensor`, watched at its tap, on a broker target.
    static func result() async throws -> ScenarioResult {
        let records = try await record()
        let scenario = try ScenarioLoader.load(
            yaml: "name: v5-report\nhub: mqtt://127.0.0.1:1883\ndevice: { id: sensor, kind: client }\nsteps:\n  - connect: {}\n",
            path: "v5-report.yaml"
        )
        let device = try DeviceID("sensor")
        let start = (records.map(\.timestamp).min() ?? 1) - 1
        let entries = records.map { record in
            RunRecord.Entry(time: record.timestamp, event: .packet(PacketObservation(record: record, vantage: .device, device: device)))
        }
        var result = ScenarioResult(
            scenario: scenario, target: scenario.targets[0], startDate: Date(), startTime: start, endTime: (records.map(\.timestamp).max() ?? start) + 1,
            steps: [], entries: entries, setupError: nil
        )
        result.secrets += result.packetSecrets
        return result
    }
}
