import IoTHubCore

/// The device twin the hub keeps per device: desired properties (written by the service) and
/// reported properties (written by the device), each with its own `$version`, plus tags.
public struct DeviceTwin: Sendable, Hashable {
    /// Desired properties, without `$version`.
    public var desired: [String: JSONValue] = [:]
    /// Incremented on every desired update. Starts at 1, as on IoT Hub.
    public var desiredVersion = 1
    /// Reported properties, without `$version`.
    public var reported: [String: JSONValue] = [:]
    /// Incremented on every reported update. Starts at 1.
    public var reportedVersion = 1
    /// Service-side tags (never sent to the device).
    public var tags: [String: JSONValue] = [:]
    /// Incremented on every change of the twin.
    public var version = 1

    public init() {}

    /// What a device's twin GET returns: `{"desired": {..., "$version": n}, "reported": {..., "$version": m}}`.
    public var deviceView: JSONValue {
        .object([
            "desired": .object(desired.merging(["$version": .integer(Int64(desiredVersion))]) { _, new in new }),
            "reported": .object(reported.merging(["$version": .integer(Int64(reportedVersion))]) { _, new in new }),
        ])
    }

    /// Merges a reported-properties patch from the device.
    public mutating func applyReported(_ patch: [String: JSONValue]) {
        reported = JSONValue.object(reported).merging(.object(patch)).objectValue ?? [:]
        reportedVersion += 1
        version += 1
    }

    /// Merges a desired-properties patch from the service.
    public mutating func applyDesired(_ patch: [String: JSONValue]) {
        desired = JSONValue.object(desired).merging(.object(patch)).objectValue ?? [:]
        desiredVersion += 1
        version += 1
    }

    /// Merges a tags patch from the service.
    public mutating func applyTags(_ patch: [String: JSONValue]) {
        tags = JSONValue.object(tags).merging(.object(patch)).objectValue ?? [:]
        version += 1
    }
}
