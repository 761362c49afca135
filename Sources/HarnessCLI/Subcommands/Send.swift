import ArgumentParser
import Foundation
import IoTHubCore
import IoTHubServiceClient
import MQTTClient
import NIOCore
import Reporting

/// `harness send`: sends a cloud-to-device message through a hub's service REST API.
struct Send: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send a cloud-to-device message to a device.",
        discussion: """
            Without --hub, finds the `harness hub` running on this machine through its state \
            file. For any other hub give --hub URL and a service --connection-string \
            (HostName=...;SharedAccessKeyName=...;SharedAccessKey=...). Exit status 0 when the \
            hub accepted the message, 1 when it refused it, 2 for bad flags.
            """
    )

    @Option(help: "The device id.")
    var device: String

    @Argument(help: "The message body, for example on.")
    var payload: String

    @Option(help: "The service API's base URL, for example http://127.0.0.1:9000.")
    var hub: String?

    @Option(name: .customLong("connection-string"), help: "A service connection string with a policy that has ServiceConnect.")
    var connectionString: String?

    @Option(name: .customLong("property"), help: "An application property name=value (repeatable).")
    var properties: [String] = []

    @Option(name: .customLong("message-id"), help: "The message id (default: a new UUID).")
    var messageID: String?

    @Option(name: .customLong("correlation-id"), help: "The correlation id.")
    var correlationID: String?

    @Option(help: "Feedback requested: none, positive, negative or full.")
    var ack: String?

    @Option(help: "Time to live, for example 10m (1 minute to 2 days).")
    var ttl: DurationArgument?

    @Option(name: .customLong("state-file"), help: "The state file of the hub to use (default: the per-user one `harness hub` writes).")
    var stateFile: String?

    func validate() throws {
        _ = try makeMessage()
        if hub != nil, connectionString == nil { throw ValidationError("--hub needs --connection-string with a service policy key") }
    }

    /// The message these flags describe, validated.
    func makeMessage() throws(ValidationError) -> CloudToDeviceMessage {
        var message = CloudToDeviceMessage(payload: ByteBuffer(string: payload), messageID: messageID, correlationID: correlationID)
        if let ack {
            guard let acknowledgement = CloudToDeviceMessage.Acknowledgement(rawValue: ack) else {
                throw ValidationError("--ack must be \(CloudToDeviceMessage.Acknowledgement.spellingsInWords)")
            }
            message.acknowledgement = acknowledgement
        }
        for property in properties {
            guard property.contains("="), !property.hasPrefix("=") else { throw ValidationError("--property must be name=value, not '\(property)'") }
            let parts = property.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            message.properties.append(String(parts[0]), String(parts[1]))
        }
        if let ttl {
            do {
                message.timeToLive = try CloudToDeviceMessage.TimeToLive(ttl.duration)
            } catch {
                throw ValidationError("--ttl must be from 1 minute to 2 days")
            }
        }
        return message
    }

    /// The client these flags point at.
    func makeClient() throws -> ServiceClient {
        if let connectionString {
            do {
                return try ServiceClient(connectionString: connectionString, baseURL: hub)
            } catch {
                throw InvalidInput(description: "error: --connection-string/--hub: \(error)")
            }
        }
        let state: HubStateFile
        do {
            state = try HubStateFile.read(from: stateFile ?? HubStateFile.defaultPath())
        } catch {
            throw InvalidInput(description: "error: \(error)")
        }
        guard let url = URL(string: state.serviceURL) else { throw InvalidInput(description: "error: the state file's service URL is damaged") }
        let key: DeviceKey
        do {
            key = try DeviceKey(base64: state.policyKey)
        } catch {
            throw InvalidInput(description: "error: the state file's policy key is damaged")
        }
        return ServiceClient(baseURL: url, hostName: state.hostName, policyName: state.policyName, policyKey: key)
    }

    func run() async throws {
        let deviceID: DeviceID
        do {
            deviceID = try DeviceID(device)
        } catch {
            throw InvalidInput(description: "error: --device: \(error)")
        }
        let client = try makeClient()
        var message = try makeMessage()
        let id = message.messageID ?? UUID().uuidString.lowercased()
        message.messageID = id
        let reply: ServiceClient.Reply
        do {
            reply = try await client.sendCloudToDevice(message, to: deviceID)
        } catch let error as ServiceClient.ConfigurationError {
            throw InvalidInput(description: "error: --hub: \(error)")
        } catch {
            let reason = TransportErrorText.describe(error, address: client.address, peer: "hub")
            FileHandle.standardError.show("error: cannot send to the hub at \(client.baseURL): \(reason)\n")
            throw ExitStatus.failure
        }
        guard reply.isSuccess else {
            FileHandle.standardError.show("error: the hub refused the message: \(ControlCharacterEscaping.escape(reply.errorDescription))\n")
            throw ExitStatus.failure
        }
        print("sent message \(id) to \(deviceID) via \(client.baseURL.absoluteString)")
    }
}
