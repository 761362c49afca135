import HarnessTestSupport
import IoTHubCore
import IoTHubSimulationCore
import NIOCore
import Testing

/// The service REST shapes, request value in, route or error out; and the authoriser.
@Suite struct ServiceRouterTests {
    let device = HubFixtures.deviceID

    func route(_ method: String, _ target: String, headers: [(name: String, value: String)] = [], body: String = "") -> RouteOutcome {
        ServiceRouter.route(ServiceRequest(method: method, target: target, headers: headers, body: Array(body.utf8)))
    }

    func rejection(_ outcome: RouteOutcome) -> ServiceResponse? {
        if case .rejected(let response) = outcome { response } else { nil }
    }

    @Test("registry, C2D, purge, method and twin routes")
    func routes() {
        let v = "?api-version=2021-04-12"
        #expect(route("GET", "/devices/esp8266\(v)") == .route(.getDevice(device)))
        #expect(route("DELETE", "/devices/esp8266\(v)") == .route(.deleteDevice(device)))
        #expect(route("PUT", "/devices/esp8266\(v)", body: #"{"deviceId":"esp8266","status":"disabled"}"#) == .route(.putDevice(device, .disabled, primaryKey: nil, secondaryKey: nil, authentication: nil, replace: false)))
        #expect(route("DELETE", "/devices/esp8266/commands\(v)") == .route(.purgeQueue(device)))
        #expect(route("GET", "/twins/esp8266\(v)") == .route(.getTwin(device)))
        #expect(
            route("PATCH", "/twins/esp8266\(v)", body: #"{"properties":{"desired":{"led":"on"}},"tags":{"room":"lab"}}"#)
                == .route(.patchTwin(device, desired: ["led": .string("on")], tags: ["room": .string("lab")]))
        )
        #expect(
            route("POST", "/twins/esp8266/methods\(v)", body: #"{"methodName":"reboot","responseTimeoutInSeconds":10,"payload":{"a":1}}"#)
                == .route(.invokeMethod(device, DirectMethodRequest(methodName: "reboot", payload: .object(["a": .integer(1)]), responseTimeout: .seconds(10))))
        )
        #expect(route("GET", "/api/token?device=esp8266&ttl=60") == .route(.mintToken(device, timeToLive: 60)))
    }

    @Test("PUT /devices takes X.509 authentication as the service API gives it (selfSigned with thumbprints, certificateAuthority); a bad type or thumbprint is a 400 with the reason")
    func x509Devices() throws {
        let v = "?api-version=2021-04-12"
        let sha1 = String(repeating: "AB", count: 20)
        let selfSigned = #"{"authentication":{"type":"selfSigned","x509Thumbprint":{"primaryThumbprint":"\#(sha1)","secondaryThumbprint":null}}}"#
        #expect(
            route("PUT", "/devices/esp8266\(v)", body: selfSigned)
                == .route(.putDevice(device, .enabled, primaryKey: nil, secondaryKey: nil, authentication: .selfSigned(primary: try CertificateThumbprint(parsing: sha1), secondary: nil), replace: false))
        )
        #expect(
            route("PUT", "/devices/esp8266\(v)", body: #"{"authentication":{"type":"certificateAuthority"}}"#)
                == .route(.putDevice(device, .enabled, primaryKey: nil, secondaryKey: nil, authentication: .certificateAuthority, replace: false))
        )
        for body in [#"{"authentication":{"type":"selfSigned"}}"#, #"{"authentication":{"type":"selfSigned","x509Thumbprint":{"primaryThumbprint":"xyz"}}}"#, #"{"authentication":{"type":"magic"}}"#] {
            guard case .rejected = route("PUT", "/devices/esp8266\(v)", body: body) else {
                Issue.record("accepted: \(body)")
                continue
            }
        }
    }

    @Test("C2D send reads the iothub-* headers and iothub-app-* application properties")
    func cloudToDevice() {
        let headers = [
            ("IoTHub-MessageId", "m1"), ("iothub-correlationid", "c1"), ("iothub-ack", "full"), ("iothub-expiry", "120"),
            ("iothub-app-color", "red"), ("iothub-contenttype", "text/plain"), ("Content-Type", "application/octet-stream"), ("IOTHUB-APP-Mode", "x y"),
            ("iothub-app", "not a property"), ("iothub-messageidx", "not the id"),
        ].map { (name: $0.0, value: $0.1) }
        guard case .route(.sendCloudToDevice(let id, let message)) = route("POST", "/devices/esp8266/messages/deviceBound?api-version=2021-04-12", headers: headers, body: "on") else {
            Issue.record("not a C2D route")
            return
        }
        #expect(id == device)
        #expect(message.payload == ByteBuffer(string: "on"))
        #expect(message.messageID == "m1")
        #expect(message.correlationID == "c1")
        #expect(message.acknowledgement == .full)
        #expect(message.timeToLive?.duration == .seconds(120))
        #expect(message.contentType == "text/plain")
        #expect(message.properties == ["color": "red", "Mode": "x y"])
        let request = ServiceRequest(method: "GET", path: "/", headers: [(name: "Authorization", value: "a"), (name: "ÄB", value: "b")])
        #expect(request.header("authorization") == "a" && request.header("AUTHORIZATION") == "a")
        #expect(request.header("authorizatio") == nil && request.header("äb") == nil && request.header("ÄB") == "b")
    }

    @Test("C2D headers are validated once, when routed: iothub-ack by its spellings (any case), iothub-expiry from 1 minute to 2 days")
    func cloudToDeviceHeaderValidation() {
        func send(_ name: String, _ value: String) -> RouteOutcome {
            route("POST", "/devices/esp8266/messages/deviceBound?api-version=2021-04-12", headers: [(name: name, value: value)], body: "on")
        }
        func message(_ outcome: RouteOutcome) -> CloudToDeviceMessage? {
            if case .route(.sendCloudToDevice(_, let message)) = outcome { message } else { nil }
        }
        func refusal(_ outcome: RouteOutcome) -> String? {
            guard let response = rejection(outcome), response.headers["iothub-errorcode"] == "ArgumentInvalid", response.status == 400 else { return nil }
            return response.bodyText
        }
        #expect(message(send("iothub-ack", "Positive"))?.acknowledgement == .positive)
        #expect(message(send("iothub-ack", "none"))?.acknowledgement == .noFeedback)
        #expect(refusal(send("iothub-ack", "sometimes"))?.contains("iothub-ack must be none, positive, negative or full") == true)
        #expect(message(send("iothub-expiry", "60"))?.timeToLive?.duration == .seconds(60))
        #expect(message(send("iothub-expiry", "172800"))?.timeToLive?.duration == .seconds(172_800))
        #expect(refusal(send("iothub-expiry", "59"))?.contains("ErrorCode:ArgumentInvalid;time to live 59.0 seconds is outside 1 minute to 2 days") == true)
        #expect(refusal(send("iothub-expiry", "172801"))?.contains("outside 1 minute to 2 days") == true)
        for bad in ["0", "-60", "1.5", "soon", ""] {
            #expect(refusal(send("iothub-expiry", bad))?.contains("iothub-expiry must be a time to live in whole seconds") == true, "\(bad)")
        }
    }

    @Test(
        "bad requests get the service's error status",
        arguments: [
            ("GET", "/devices/esp8266", "", 400, "InvalidProtocolVersion"),
            ("GET", "/devices/bad%20id?api-version=1", "", 400, "ArgumentInvalid"),
            ("POST", "/devices/esp8266?api-version=1", "", 405, "MethodNotAllowed"),
            ("GET", "/nowhere?api-version=1", "", 404, "NotFound"),
            ("POST", "/twins/esp8266/methods?api-version=1", "{}", 400, "ArgumentInvalid"),
            ("POST", "/twins/esp8266/methods?api-version=1", #"{"methodName":"m","responseTimeoutInSeconds":1}"#, 400, "ArgumentInvalid"),
            ("PATCH", "/twins/esp8266?api-version=1", #"{"properties":{"reported":{}}}"#, 400, "ArgumentInvalid"),
            ("PUT", "/devices/esp8266?api-version=1", #"{"deviceId":"other"}"#, 400, "ArgumentInvalid"),
            ("POST", "/devices/esp8266/messages/devicebound?api-version=1", "", 0, "iothub-ack"),
        ]
    )
    func badRequests(method: String, target: String, body: String, status: Int, code: String) {
        let headers = status == 0 ? [(name: "iothub-ack", value: "sometimes")] : []
        let response = rejection(route(method, target, headers: headers, body: body))
        #expect(response?.status == (status == 0 ? 400 : status))
        if status != 0 { #expect(response?.headers["iothub-errorcode"] == code) }
    }

    @Test("the token endpoint: 400 for a bad or missing ttl or device", arguments: ["ttl=0", "ttl=abc", "ttl=31536001", "ttl=-5", "device=&ttl=5", "device=bad%20id"])
    func tokenBadRequests(query: String) {
        let target = query.hasPrefix("device") ? "/api/token?\(query)" : "/api/token?device=esp8266&\(query)"
        #expect(rejection(route("GET", target))?.status == 400)
    }

    @Test("service SAS: the right policy and permission pass; anything else is 401")
    func authorization() {
        let owner = AccessPolicy(name: "iothubowner", primaryKey: DeviceKey(bytes: Array(repeating: 1, count: 32)), permissions: Set(AccessPolicy.Permission.allCases))
        let reader = AccessPolicy(name: "registryRead", primaryKey: DeviceKey(bytes: Array(repeating: 2, count: 32)), permissions: [.registryRead])
        let policies = [owner.name: owner, reader.name: reader]
        let host = HubFixtures.hostName
        let now = HubFixtures.start
        func check(_ route: ServiceRoute, path: String, authorization: String?, functionKey: String? = nil) -> Int? {
            var headers: [(name: String, value: String)] = []
            if let authorization { headers.append((name: "Authorization", value: authorization)) }
            if let functionKey { headers.append((name: "x-functions-key", value: functionKey)) }
            let request = ServiceRequest(method: "GET", path: path, headers: headers)
            return ServiceAuthorizer.check(request, route: route, policies: policies, hostName: host, tokenServiceKey: "fkey", now: now, tokenExpiry: .realHub)?.status
        }
        func token(_ policy: AccessPolicy, key: DeviceKey? = nil, resource: String? = nil, expiry: Int64 = HubFixtures.start.unixSeconds + 60) -> String {
            SASToken.make(resource: resource ?? host, key: key ?? policy.primaryKey, expiry: expiry, policyName: policy.name).rendered
        }
        let send = ServiceRoute.purgeQueue(device)
        #expect(check(send, path: "/devices/esp8266/commands", authorization: token(owner)) == nil)
        #expect(check(send, path: "/devices/esp8266/commands", authorization: token(owner, resource: "\(host)/devices/esp8266")) == nil)
        #expect(check(send, path: "/devices/esp8266/commands", authorization: token(owner, resource: "\(host)/devices/other")) == 401)
        #expect(check(send, path: "/devices/esp8266/commands", authorization: nil) == 401)
        #expect(check(send, path: "/devices/esp8266/commands", authorization: token(owner, key: reader.primaryKey)) == 401)
        #expect(check(send, path: "/devices/esp8266/commands", authorization: token(owner, expiry: now.unixSeconds - 301)) == 401)
        #expect(check(send, path: "/devices/esp8266/commands", authorization: token(reader)) == 401)
        #expect(check(.getDevice(device), path: "/devices/esp8266", authorization: token(reader)) == nil)
        #expect(check(send, path: "/devices/esp8266/commands", authorization: SASToken.make(resource: host, key: owner.primaryKey, expiry: now.unixSeconds + 60).rendered) == 401)
        let mint = ServiceRoute.mintToken(device, timeToLive: 60)
        #expect(check(mint, path: "/api/token", authorization: nil, functionKey: "fkey") == nil)
        #expect(check(mint, path: "/api/token", authorization: nil, functionKey: "fkeY") == 401)
        #expect(check(mint, path: "/api/token", authorization: token(owner)) == 401)
    }
}
