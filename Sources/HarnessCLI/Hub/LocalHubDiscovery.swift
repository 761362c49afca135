import Foundation
import IoTHubCore
import Scenario

/// Points `azure://NAME` targets that give no address, CA or service URL at the `harness hub`
/// running on this machine under that host name (found through its state file, as
/// `harness send` finds it): its TLS port and CA, its service API and policy key, and the keys
/// of the devices it registered. So `harness hub --device esp8266` and
/// `harness run scenarios/c2d-led.yaml --hub azure://simulated.azure-devices.net` are enough.
enum LocalHubDiscovery {
    /// What was filled in, for a console note; `nil` when nothing was.
    static func apply(to scenario: inout Scenario, statePath: String = HubStateFile.defaultPath()) -> String? {
        guard let state = try? HubStateFile.read(from: statePath), kill(state.pid, 0) == 0, let port = state.tlsPort else { return nil }
        var used = false
        for index in scenario.targets.indices {
            guard case .azure(var hub) = scenario.targets[index].hub, hub.hostName.lowercased() == state.hostName.lowercased(),
                hub.host == hub.hostName, hub.port == 8883, hub.caFile == nil, hub.serviceURL == "https://\(hub.hostName)"
            else { continue }
            hub.host = "127.0.0.1"
            hub.port = port
            hub.caFile = state.caCertificatePath
            hub.serviceURL = state.serviceURL
            if hub.serviceConnectionString == nil, hub.cloudToDeviceCommand == nil {
                let connection = "HostName=\(state.hostName);SharedAccessKeyName=\(state.policyName);SharedAccessKey=\(state.policyKey)"
                hub.serviceConnectionString = connection
                scenario.secretValues.append(connection)
                scenario.secretValues.append(state.policyKey)
            }
            scenario.targets[index].hub = .azure(hub)
            for deviceIndex in scenario.targets[index].devices.indices {
                var device = scenario.targets[index].devices[deviceIndex]
                guard device.key == nil, device.token == nil, device.password == nil,
                    let text = state.devices[device.id.string], let key = try? ConnectionString(parsing: text).sharedAccessKey
                else { continue }
                device.key = key
                scenario.secretValues.append(key.base64)
                scenario.targets[index].devices[deviceIndex] = device
            }
            used = true
        }
        return used ? "using the harness hub running on this machine (pid \(state.pid), TLS port \(port), service \(state.serviceURL))" : nil
    }
}
