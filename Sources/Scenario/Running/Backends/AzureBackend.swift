import Devices
import Foundation
import IoTHubCore
import IoTHubServiceClient
import MQTTClient
import NIOCore

/// An Azure IoT Hub (or `harness hub`) as a run's backend: devices connect to it over MQTT/TLS
/// with tokens minted on the system clock; C2D messages go through the service REST API with
/// a service connection string, or through a command the scenario names (such as the Azure
/// CLI's `az iot device c2d-message send`).
struct AzureBackend: HubBackend {
    let target: AzureHubTarget
    let service: ServiceClient?

    var endpoint: DeviceEndpoint {
        DeviceEndpoint(
            host: target.host,
            port: target.port,
            tls: ClientTLS(caFile: target.caFile, serverName: target.caFile == nil ? target.hostName : nil)
        )
    }
    var iotHubHostName: String? { target.hostName }
    var wallClock: any WallClock { SystemWallClock() }
    var secrets: [String] {
        (target.serviceConnectionString.map { [$0] } ?? []) + (service.map { [$0.policyKey.base64] } ?? [])
    }

    /// Why the backend cannot be used.
    struct ConfigurationError: Error, CustomStringConvertible {
        var description: String
    }

    /// Checks the target's settings; makes the REST client unless a command sends C2D.
    /// - Parameter needsCloud: whether the scenario sends C2D messages.
    init(_ target: AzureHubTarget, needsCloud: Bool) throws {
        self.target = target
        guard needsCloud, target.cloudToDeviceCommand == nil else {
            service = nil
            return
        }
        guard let connectionString = target.serviceConnectionString else {
            throw ConfigurationError(description: """
                sending C2D to \(target.hostName) needs a service connection string: set \(HubParser.serviceConnectionStringVariable) \
                or the hub's service_connection_string, or give a c2d_command
                """)
        }
        let client: ServiceClient
        do {
            client = try ServiceClient(connectionString: connectionString, baseURL: target.serviceURL)
        } catch {
            throw ConfigurationError(description: "\(target.hostName): \(error)")
        }
        // The service token is signed for the connection string's hub: another hub would
        // answer 401 at the first send, after the devices connected.
        guard client.hostName.lowercased() == target.hostName.lowercased() else {
            throw ConfigurationError(description: "the service connection string is for \(client.hostName), not \(target.hostName)")
        }
        service = client
    }

    func sendCloudToDevice(_ message: CloudToDeviceMessage, to device: DeviceID, timeout: Duration) async throws -> CloudToDeviceOutcome {
        // The id is assigned here so that a command can be given it as ${MESSAGE_ID}.
        var request = message
        request.messageID = message.messageID ?? UUID().uuidString.lowercased()
        if let command = target.cloudToDeviceCommand {
            return await run(command, message: request, device: device, timeout: timeout)
        }
        guard let service else { return .failed(.errored(message: "internal: no service client for \(target.hostName)")) }
        let reply: ServiceClient.Reply?
        do {
            reply = try await withTimeout(timeout) { [request] in try await service.sendCloudToDevice(request, to: device) }
        } catch {
            return .failed(.failed(Failure(expected: "an answer from the service API at \(service.baseURL.absoluteString)", observed: "the request failed: \(TransportErrorText.describe(error, address: service.address, peer: "service API"))")))
        }
        guard let reply else {
            return .failed(.failed(Failure(expected: "an answer from \(service.baseURL.absoluteString) within \(ScenarioDuration.format(timeout))", observed: "none")))
        }
        if reply.isSuccess { return .accepted }
        if reply.isRefusal { return .refused(code: reply.errorCode, reason: reply.errorDescription) }
        return .failed(.failed(Failure(expected: "the service API to accept or refuse the message", observed: reply.errorDescription)))
    }

    /// Runs the C2D command with the message's facts filled in. Exit status 0 is acceptance;
    /// another exit status is a refusal only when the output carries the hub's error
    /// (`ErrorCode:DeviceMaximumQueueDepthExceeded;...`, which the Azure CLI and `harness send`
    /// print), otherwise the command failed (not logged in, not found, no route) and the step
    /// fails whatever it expects.
    private func run(_ command: [String], message: CloudToDeviceMessage, device: DeviceID, timeout: Duration) async -> CloudToDeviceOutcome {
        let facts = [
            "DEVICE_ID": device.string, "PAYLOAD": String(buffer: message.payload), "HUB_NAME": target.hubName,
            "HUB_HOSTNAME": target.hostName, "MESSAGE_ID": message.messageID ?? "",
        ]
        // One pass over each argument: a payload that itself holds `${DEVICE_ID}` stays as sent.
        let arguments = command.map { ConnectionFacts(values: facts).substitute(in: $0, names: Set(facts.keys)) }
        let outcome = await CommandRunner.run(arguments, timeout: timeout)
        switch outcome {
        case .exited(0, _):
            return .accepted
        case .exited(let status, let output):
            let observed = "exit status \(status)\(output.isEmpty ? "" : ": \(output)")"
            guard let code = Self.hubErrorCode(in: output) else {
                return .failed(.failed(Failure(expected: "c2d_command to exit 0, or to print the hub's refusal (ErrorCode:...)", observed: observed)))
            }
            return .refused(code: code, reason: "c2d_command: \(observed)")
        case .timedOut:
            return .failed(.failed(Failure(expected: "c2d_command to finish within \(ScenarioDuration.format(timeout))", observed: "it was still running; stopped")))
        case .failedToStart(let reason):
            return .failed(.errored(message: "c2d_command '\(arguments.first ?? "")' could not start: \(reason)"))
        }
    }

    /// The IoT Hub error code in a service error body (`"Message":"ErrorCode:X;..."`).
    static func hubErrorCode(in output: String) -> String? {
        guard let marker = output.range(of: "ErrorCode:") else { return nil }
        let code = output[marker.upperBound...].prefix { $0.isASCII && ($0.isLetter || $0.isNumber) }
        return code.isEmpty ? nil : String(code)
    }

    func stop() async {}
}
