import IoTHubCore
import Testing

/// The device side of a DPS registration, pure: request, polls after `retry-after`, the final
/// answer read as the service gives it.
@Suite struct ProvisioningRegistrationTests {
    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("register, 202 with an operation id and retry-after, poll after it, 200 assigned")
    func assigned() {
        var machine = ProvisioningRegistration(idScope: "0ne00000001", registrationID: "dev-1")
        #expect(machine.username == "0ne00000001/registrations/dev-1/api-version=2019-03-31&ClientVersion=harness")
        #expect(machine.start() == .publish(topic: "$dps/registrations/PUT/iotdps-register/?$rid=1", payload: #"{"registrationId":"dev-1"}"#, delaySeconds: 0))
        let poll = machine.receive(topic: "$dps/registrations/res/202/?$rid=1&retry-after=3", payload: bytes(#"{"operationId":"4.abc.1","status":"assigning"}"#))
        #expect(poll == .publish(topic: "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=2&operationId=4.abc.1", payload: "", delaySeconds: 3))
        #expect(machine.receive(topic: "$dps/registrations/res/202/?$rid=1&retry-after=3", payload: []) == nil, "an answer to an old request is not the one awaited")
        let done = machine.receive(
            topic: "$dps/registrations/res/200/?$rid=2",
            payload: bytes(#"{"operationId":"4.abc.1","status":"assigned","registrationState":{"status":"assigned","assignedHub":"h.azure-devices.net","deviceId":"dev-1"}}"#)
        )
        #expect(done == .finish(ProvisioningResult(status: .assigned, responseStatus: 200, assignedHub: "h.azure-devices.net", deviceID: "dev-1", polls: 1)))
    }

    @Test("an error answer ends the registration as refused with the service's status, code and message")
    func refused() {
        var machine = ProvisioningRegistration(idScope: "s", registrationID: "d")
        _ = machine.start()
        let done = machine.receive(topic: "$dps/registrations/res/401/?$rid=1", payload: bytes(#"{"errorCode":401002,"message":"Unauthorized"}"#))
        #expect(done == .finish(ProvisioningResult(status: .refused, responseStatus: 401, errorCode: 401002, message: "Unauthorized", polls: 0)))
        if case .finish(let result)? = done { #expect(result.description == "refused with 401 (errorCode 401002): Unauthorized") }
    }

    @Test("a service that keeps answering assigning is given up after the most polls; a huge retry-after is cut")
    func bounded() {
        var machine = ProvisioningRegistration(idScope: "s", registrationID: "d", maximumPolls: 2)
        _ = machine.start()
        var last: ProvisioningRegistration.Action?
        for rid in 1...3 {
            last = machine.receive(topic: "$dps/registrations/res/202/?$rid=\(rid)&retry-after=99999", payload: bytes(#"{"operationId":"op","status":"assigning"}"#))
            if case .publish(_, _, let delay)? = last { #expect(delay == ProvisioningRegistration.longestRetryAfter) }
        }
        guard case .finish(let result)? = last else {
            Issue.record("\(String(describing: last))")
            return
        }
        #expect(result.status == .unfinished)
        #expect(result.polls == 2)
    }

    @Test("the registration token is signed for {scope}/registrations/{id} with skn=registration")
    func token() throws {
        let machine = ProvisioningRegistration(idScope: "0ne1", registrationID: "d")
        let key = DeviceKey.random()
        let token = try SASToken(parsing: machine.password(key: key, expiry: 2_000_000_000))
        #expect(token.policyName == "registration")
        #expect(token.resource == "0ne1/registrations/d")
        #expect(token.isSigned(with: key))
    }

    @Test("the service's text is kept to 300 characters")
    func longMessage() {
        var machine = ProvisioningRegistration(idScope: "s", registrationID: "d")
        _ = machine.start()
        let long = String(repeating: "x", count: 5000)
        guard case .finish(let result)? = machine.receive(topic: "$dps/registrations/res/400/?$rid=1", payload: bytes(#"{"message":"\#(long)"}"#)) else {
            Issue.record("no result")
            return
        }
        #expect(result.message?.count == ProvisioningRegistration.longestMessage + 3)
    }
}
