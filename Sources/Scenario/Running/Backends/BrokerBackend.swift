import Devices
import Foundation
import IoTHubCore
import MQTTClient
import MQTTClientCore
import MQTTCore
import NIOCore

/// A generic MQTT broker as a run's backend. The harness plays the cloud with a connection of
/// its own: a C2D message is a QoS 1 PUBLISH to the device's `devicebound` topic, with the
/// property bag IoT Hub would put there, and telemetry published to
/// `devices/<id>/messages/events/...` is observed as the hub would report it.
struct BrokerBackend: HubBackend {
    let target: BrokerTarget
    /// The cloud side's connection; `nil` when the scenario neither sends nor expects telemetry.
    let cloud: CloudClient?
    /// Where accepted C2D messages are noted.
    let record: RunRecord

    var endpoint: DeviceEndpoint {
        DeviceEndpoint(host: target.host, port: target.port, tls: target.tls)
    }
    var iotHubHostName: String? { nil }
    var wallClock: any WallClock { SystemWallClock() }
    var secrets: [String] { target.password.map { [$0] } ?? [] }

    /// Why the cloud side could not start.
    struct StartError: Error, CustomStringConvertible {
        var description: String
    }

    /// Connects the cloud side when the scenario needs one.
    static func start(_ target: BrokerTarget, needsCloud: Bool, environment: RunEnvironment, record: RunRecord) async throws -> BrokerBackend {
        guard needsCloud else { return BrokerBackend(target: target, cloud: nil, record: record) }
        let endpoint = BrokerEndpoint(host: target.host, port: target.port, tls: target.tls)
        let options = ConnectOptions(
            clientID: "harness-cloud-\(UInt32.random(in: .min ... .max))",
            keepAlive: CloudClient.defaultKeepAlive,
            username: target.username,
            password: target.password.map { ByteBuffer(string: $0) }
        )
        let clock = environment.clock
        let connect: @Sendable () async throws -> CloudClient = {
            try await CloudClient.connect(to: endpoint, options, group: environment.group) { publish in
                guard let (device, properties) = Self.telemetry(publish.topic) else { return }
                record.append(.cloud(.telemetry(device, properties: properties, payload: publish.payload)), at: clock.nanoseconds())
            }
        }
        let timeout = environment.scaled(environment.actionTimeout)
        let client: CloudClient?
        do {
            client = try await withTimeout(timeout, connect)
        } catch {
            throw StartError(description: "the harness's cloud connection to \(target.url) failed: \(error)")
        }
        guard let client else { throw StartError(description: "the broker at \(target.url) did not answer the harness's CONNECT within \(ScenarioDuration.format(timeout))") }
        do {
            let filter = try TopicFilter(IoTHubTopics.allTelemetryFilter)
            try await client.subscribe(to: filter, qos: .atMostOnce)
        } catch {
            await client.close()
            throw StartError(description: "the broker at \(target.url) refused the harness's telemetry subscription: \(error)")
        }
        return BrokerBackend(target: target, cloud: client, record: record)
    }

    /// The device and property bag of a telemetry topic (`devices/<id>/messages/events/<bag>`).
    /// A broker takes any bag, so a malformed one is read as empty: the telemetry is still seen.
    static func telemetry(_ topic: TopicName) -> (DeviceID, PropertyBag)? {
        guard case .telemetry(let device, let properties) = try? IoTHubTopic(parsing: topic.string, malformedBag: .readAsEmpty) else { return nil }
        return (device, properties)
    }

    func sendCloudToDevice(_ message: CloudToDeviceMessage, to device: DeviceID, timeout: Duration) async throws -> CloudToDeviceOutcome {
        guard let cloud else { return .failed(.errored(message: "internal: no cloud connection to \(target.url)")) }
        let messageID = message.messageID ?? UUID().uuidString.lowercased()
        let topic = try TopicName(message.deviceboundTopic(to: device, messageID: messageID))
        let payload = message.payload
        do {
            guard try await withTimeout(timeout, { try await cloud.publish(topic, payload: payload, qos: .atLeastOnce) }) != nil else {
                return .failed(.failed(Failure(expected: "PUBACK from \(target.url) within \(ScenarioDuration.format(timeout))", observed: "nothing arrived")))
            }
            record.append(.cloud(.messageAccepted(device, messageID: messageID)), at: record.clock.nanoseconds())
            return .accepted
        } catch {
            return .failed(.failed(Failure(expected: "the broker to accept the message", observed: "\(error)")))
        }
    }

    func stop() async {
        await cloud?.close()
    }
}
