/// The MQTT client id, user name and password a device uses to connect to IoT Hub.
public struct IoTHubCredentials: Sendable, Hashable {
    public var clientID: String
    public var username: String
    /// The SAS token string. Secret.
    public var password: String

    public init(clientID: String, username: String, password: String) {
        self.clientID = clientID
        self.username = username
        self.password = password
    }

    /// Credentials for a device signing its own token with its device key.
    /// - Parameters:
    ///   - hostName: the hub's host name, for example `myhub.azure-devices.net`.
    ///   - expiry: token expiry in Unix seconds.
    ///   - apiVersion: the `api-version` in the user name; the seed firmware uses `2018-06-30`.
    public static func device(
        _ deviceID: DeviceID,
        hostName: String,
        key: DeviceKey,
        expiry: Int64,
        apiVersion: String? = IoTHubUsername.currentAPIVersion
    ) -> IoTHubCredentials {
        let token = SASToken.make(resource: deviceResource(hostName: hostName, deviceID: deviceID), key: key, expiry: expiry)
        return IoTHubCredentials(
            clientID: deviceID.string,
            username: IoTHubUsername(hostName: hostName, deviceID: deviceID.string, apiVersion: apiVersion).description,
            password: token.rendered
        )
    }

    /// The resource a device-scoped token covers: `{host}/devices/{deviceId}`.
    public static func deviceResource(hostName: String, deviceID: DeviceID) -> String {
        "\(hostName)/devices/\(deviceID.string)"
    }
}
