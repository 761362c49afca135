import HarnessTestSupport
import IoTHubCore
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import Testing

/// A disabled enrollment: the request is accepted (202 assigning, after the token check), and
/// the status poll ends the operation `disabled` with no hub; the device never reaches the
/// hub's registry.
@Suite struct HubProvisioningDisabledTests {
    @Test("a disabled individual enrollment ends disabled at the poll, with no assigned hub and no device on the hub; a bad token is still 401")
    func disabled() throws {
        var configuration = HubConfiguration(hostName: HubFixtures.hostName)
        var enrollment = IndividualEnrollment(registrationID: HubProvisioningTests.registrationID("sensor-1"), primaryKey: HubProvisioningTests.individualKey)
        enrollment.isEnabled = false
        configuration.provisioning = ProvisioningConfiguration(idScope: HubProvisioningTests.scope, individualEnrollments: [enrollment])
        var machine = HubStateMachine(configuration: configuration, registry: DeviceRegistry())
        let test = HubProvisioningTests()
        _ = try test.connected(&machine, HubProvisioningTests.connect("sensor-1", key: HubProvisioningTests.individualKey))
        let accepted = try test.request(&machine, "$dps/registrations/PUT/iotdps-register/?$rid=1", #"{"registrationId":"sensor-1"}"#)
        #expect(accepted.status == 202)
        let operation = try #require(accepted.body["operationId"]?.stringValue)
        let done = try test.request(&machine, "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=2&operationId=\(operation)")
        #expect(done.status == 200)
        #expect(done.body["status"]?.stringValue == "disabled")
        #expect(done.body["registrationState"]?["status"]?.stringValue == "disabled")
        #expect(done.body["registrationState"]?["assignedHub"] == nil)
        #expect(done.actions.events.contains { if case .provisioning(.disabled) = $0 { true } else { false } })
        #expect(machine.registry[HubFixtures.deviceIDLiteral("sensor-1")] == nil)

        var other = HubStateMachine(configuration: configuration, registry: DeviceRegistry())
        _ = try test.connected(&other, HubProvisioningTests.connect("sensor-1", key: DeviceKey(bytes: Array(repeating: 1, count: 32))))
        #expect(try test.request(&other, "$dps/registrations/PUT/iotdps-register/?$rid=1", #"{"registrationId":"sensor-1"}"#).status == 401)
    }
}
