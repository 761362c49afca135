import IoTHubCore

/// Why the hub refused to enqueue a C2D message.
public enum CloudToDeviceError: Error, Sendable, Hashable, CustomStringConvertible {
    case deviceNotFound(DeviceID)
    /// The device already has the maximum number of messages queued.
    case queueFull(DeviceID, limit: Int)
    case messageTooLarge(size: Int, limit: Int)

    /// The service API's `iothub-errorcode` for this refusal, as the real hub answers.
    public var errorCode: IoTHubErrorCode {
        switch self {
        case .deviceNotFound: .deviceNotFound
        case .queueFull: .deviceMaximumQueueDepthExceeded
        case .messageTooLarge: .messageTooLarge
        }
    }

    /// The description, naming the error code once.
    public var descriptionWithCode: String {
        description.contains(errorCode.rawValue) ? description : "\(errorCode): \(description)"
    }

    public var description: String {
        switch self {
        case .deviceNotFound(let id): "device '\(id)' is not registered"
        case .queueFull(let id, let limit): "device '\(id)' already has \(limit) messages queued (\(errorCode))"
        case .messageTooLarge(let size, let limit): "message of \(size) bytes exceeds \(limit) bytes (\(errorCode))"
        }
    }
}
