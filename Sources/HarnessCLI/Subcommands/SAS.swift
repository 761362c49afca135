import ArgumentParser
import Foundation
import IoTHubCore

/// `harness sas`: prints a device SAS token.
struct SAS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sas",
        abstract: "Print a SAS token for a device.",
        discussion: """
            Signs {hub}/devices/{device} with the device's key, as the IoT Hub SDKs do. Give --ttl \
            for a token valid from now, or --expiry for a fixed expiry (reproducible output). The \
            key may also come from the HARNESS_DEVICE_KEY environment variable.
            """
    )

    @Option(help: "The hub's host name, for example myhub.azure-devices.net.")
    var hub: String

    @Option(help: "The device id.")
    var device: String

    @Option(help: "The device's key, in base64 (default: $HARNESS_DEVICE_KEY).")
    var key: String?

    @Option(help: "Token lifetime from now, for example 1h, 30m, 90s (default: 1h).")
    var ttl: DurationArgument?

    @Option(help: "Token expiry in Unix seconds, instead of --ttl.")
    var expiry: Int64?

    @Option(help: "Shared access policy name (skn), when --key is a policy key.")
    var policy: String?

    func validate() throws {
        if ttl != nil, expiry != nil { throw ValidationError("give --ttl or --expiry, not both") }
        if let expiry, expiry < 0 { throw ValidationError("--expiry must be a non-negative number of Unix seconds") }
        if let ttl, ttl.duration <= .zero { throw ValidationError("--ttl must be positive") }
        if key == nil, ProcessInfo.processInfo.environment["HARNESS_DEVICE_KEY"] == nil {
            throw ValidationError("missing --key (or the HARNESS_DEVICE_KEY environment variable)")
        }
    }

    func run() throws {
        print(try makeToken(now: Date()))
    }

    /// The token text for these options.
    /// - Throws: ``InvalidInput`` for a bad device id, key or hub name.
    func makeToken(now: Date) throws -> String {
        let deviceID: DeviceID
        let deviceKey: DeviceKey
        do {
            deviceID = try DeviceID(device)
        } catch {
            throw InvalidInput(description: "error: --device: \(error)")
        }
        do {
            deviceKey = try DeviceKey(base64: key ?? ProcessInfo.processInfo.environment["HARNESS_DEVICE_KEY"] ?? "")
        } catch {
            throw InvalidInput(description: "error: --key: \(error)")
        }
        guard !hub.isEmpty, !hub.contains("/") else {
            throw InvalidInput(description: "error: --hub must be a host name such as myhub.azure-devices.net")
        }
        let seconds = expiry ?? Int64(now.timeIntervalSince1970) + (ttl?.duration ?? .seconds(3600)).components.seconds
        let token = SASToken.make(
            resource: IoTHubCredentials.deviceResource(hostName: hub, deviceID: deviceID),
            key: deviceKey,
            expiry: seconds,
            policyName: policy
        )
        return token.rendered
    }
}
