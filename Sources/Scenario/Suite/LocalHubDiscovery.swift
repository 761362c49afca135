import Foundation
import IoTHubCore

/// Points `azure://NAME` targets that give no address, CA or service URL at the `harness hub`
/// running on this machine under that host name (found through its state file, as
/// `harness send` finds it): its TLS port and CA, its service API and policy key, and the keys
/// of the devices it registered. So `harness hub --device esp8266` and
/// `harness run scenarios/c2d-led.yaml --hub azure://simulated.azure-devices.net` are enough.
public enum LocalHubDiscovery {
    /// Fills in the scenarios' bare `azure://` targets; the state file is read once, and only
    /// when some target could use it.
    /// - Returns: a console note per scenario that uses the local hub.
    public static func apply(to scenarios: inout [Scenario], statePath: String = HubStateFile.defaultPath()) -> [String] {
        let wanted = scenarios.contains { $0.targets.contains { target in bareAzureHostName(target.hub) != nil } }
        guard wanted, let state = try? HubStateFile.read(from: statePath), kill(state.pid, 0) == 0 else { return [] }
        return scenarios.indices.compactMap { index in apply(state, to: &scenarios[index]).map { "\(scenarios[index].name): \($0)" } }
    }

    /// The host name of an `azure://` target that gives no address, CA or service URL.
    private static func bareAzureHostName(_ hub: HubTarget) -> String? {
        guard case .azure(let azure) = hub, azure.host == azure.hostName, azure.port == 8883, azure.caFile == nil,
            azure.serviceURL == "https://\(azure.hostName)"
        else { return nil }
        return azure.hostName.lowercased()
    }

    private static func apply(_ state: HubStateFile, to scenario: inout Scenario) -> String? {
        guard let port = state.tlsPort else { return nil }
        var used = false
        for index in scenario.targets.indices {
            guard bareAzureHostName(scenario.targets[index].hub) == state.hostName.lowercased(),
                case .azure(var hub) = scenario.targets[index].hub
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
