import IoTHubCore
import Reporting

extension ScenarioResult {
    /// A `provision` step's registration, as suite properties keyed by its step (JUnit test
    /// cases carry no properties): `dps.step-02.latency.ms` (CONNECT to the final answer),
    /// `dps.step-02.polls` (status polls sent), `dps.step-02.status` (assigned, refused, ...)
    /// and, for an error answer, `dps.step-02.status_code`.
    static func provisioningProperties(_ result: StepResult, label: String) -> [JUnitProperty] {
        guard let answer = result.provisioning else { return [] }
        var properties: [JUnitProperty] = []
        if let latency = result.latency { properties.append(JUnitProperty("dps.\(label).latency.ms", milliseconds(latency))) }
        properties.append(JUnitProperty("dps.\(label).polls", String(answer.polls)))
        properties.append(JUnitProperty("dps.\(label).status", answer.status.rawValue))
        if answer.status == .refused { properties.append(JUnitProperty("dps.\(label).status_code", String(answer.responseStatus))) }
        return properties
    }
}
