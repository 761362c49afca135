import Foundation
import HarnessTestSupport
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import NIOPosix
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The service REST API over real HTTP on loopback, against a hub with a live device.
@Suite struct ServiceHTTPTests {
    static let owner = AccessPolicy(name: "iothubowner", primaryKey: DeviceKey(bytes: Array(repeating: 8, count: 32)), permissions: Set(AccessPolicy.Permission.allCases))

    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    final class Harness: Sendable {
        let hub: SimulatedHub
        let server: ServiceHTTPServer
        let mqttPort: Int
        let httpPort: Int

        init(hub: SimulatedHub, server: ServiceHTTPServer, mqttPort: Int, httpPort: Int) {
            self.hub = hub
            self.server = server
            self.mqttPort = mqttPort
            self.httpPort = httpPort
        }

        func request(_ method: String, _ target: String, headers: [String: String] = [:], body: String = "", authorized: Bool = true) async throws -> Reply {
            let url = try #require(URL(string: "http://127.0.0.1:\(httpPort)\(target)"))
            var request = URLRequest(url: url)
            request.httpMethod = method
            if !body.isEmpty { request.httpBody = Data(body.utf8) }
            if authorized {
                let token = SASToken.make(resource: HubFixtures.hostName, key: ServiceHTTPTests.owner.primaryKey, expiry: hub.now().unixSeconds + 600, policyName: "iothubowner")
                request.setValue(token.rendered, forHTTPHeaderField: "Authorization")
            }
            for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = try #require(response as? HTTPURLResponse)
            var fields: [String: String] = [:]
            for (name, value) in http.allHeaderFields { if let name = name as? String, let value = value as? String { fields[name.lowercased()] = value } }
            return Reply(status: http.statusCode, headers: fields, body: String(decoding: data, as: UTF8.self))
        }
    }

    func withService(_ body: (Harness) async throws -> Void) async throws {
        let hub = SimulatedHub(
            configuration: HubConfiguration(hostName: HubFixtures.hostName),
            registry: DeviceRegistry(devices: [DeviceRecord(id: HubFixtures.deviceID, primaryKey: HubFixtures.key)], policies: [Self.owner]),
            group: MultiThreadedEventLoopGroup.singleton
        )
        let mqttPort = try await hub.start(port: 0)
        let server = ServiceHTTPServer(api: HubServiceAPI(hub: hub, tokenServiceKey: "function-key-1"))
        let httpPort = try await server.start()
        let harness = Harness(hub: hub, server: server, mqttPort: mqttPort, httpPort: httpPort)
        do {
            try await body(harness)
        } catch {
            await server.stop()
            await hub.stop()
            throw error
        }
        await server.stop()
        await hub.stop()
    }

    /// A device connected with a real token and subscribed to `filters` at QoS 1.
    func device(_ harness: Harness, subscribing filters: [String]) async throws -> MQTTTestClient {
        let client = try await MQTTTestClient.connect(port: harness.mqttPort, group: MultiThreadedEventLoopGroup.singleton)
        try await client.send(.connect(HubFixtures.connect(expiry: harness.hub.now().unixSeconds + 3600)))
        #expect(await client.receive() == .connack(ConnAckPacket(returnCode: .accepted)))
        let subscriptions = filters.map { SubscribePacket.Subscription(filter: topicFilter($0), qos: .atLeastOnce) }
        try await client.send(.subscribe(SubscribePacket(packetID: 1, subscriptions: subscriptions)))
        #expect(await client.receive() == .suback(SubAckPacket(packetID: 1, returnCodes: filters.map { _ in .granted(.atLeastOnce) })))
        return client
    }

    @Test("POST deviceBound with iothub-* headers reaches the device with IoT Hub's property bag; purge empties the queue")
    func cloudToDevice() async throws {
        try await withService { harness in
            let client = try await device(harness, subscribing: ["devices/esp8266/messages/devicebound/#"])
            let headers = ["iothub-messageid": "m1", "iothub-correlationid": "c1", "iothub-ack": "full", "iothub-app-color": "red"]
            let sent = try await harness.request("POST", "/devices/esp8266/messages/deviceBound?api-version=2021-04-12", headers: headers, body: "on")
            #expect(sent.status == 204)
            guard case .publish(let publish) = await client.receive() else {
                Issue.record("no C2D PUBLISH")
                return
            }
            // HTTP header names are case-insensitive, so the property name's case may change in transit.
            #expect(
                publish.topic.string.lowercased()
                    == "devices/esp8266/messages/devicebound/%24.mid=m1&%24.to=%2Fdevices%2Fesp8266%2Fmessages%2Fdevicebound&%24.cid=c1&iothub-ack=full&color=red".lowercased()
            )
            #expect(String(buffer: publish.payload) == "on")
            await client.close()
            for index in 0..<3 {
                _ = try await harness.request("POST", "/devices/esp8266/messages/deviceBound?api-version=2021-04-12", body: "\(index)")
            }
            let purged = try await harness.request("DELETE", "/devices/esp8266/commands?api-version=2021-04-12")
            #expect(purged.status == 200)
            #expect(purged.body.contains(#""totalMessagesPurged":4"#), "\(purged.body)")
            let unknown = try await harness.request("POST", "/devices/ghost/messages/deviceBound?api-version=2021-04-12", body: "x")
            #expect(unknown.status == 404)
            #expect(unknown.headers["iothub-errorcode"] == "DeviceNotFound")
        }
    }

    @Test("the 51st queued message is refused 403 DeviceMaximumQueueDepthExceeded; a 64 KB + 1 body 413 MessageTooLarge")
    func limits() async throws {
        try await withService { harness in
            for index in 0..<50 {
                #expect(try await harness.request("POST", "/devices/esp8266/messages/deviceBound?api-version=1", body: "\(index)").status == 204)
            }
            let full = try await harness.request("POST", "/devices/esp8266/messages/deviceBound?api-version=1", body: "51")
            #expect(full.status == 403)
            #expect(full.headers["iothub-errorcode"] == "DeviceMaximumQueueDepthExceeded")
            _ = try await harness.hub.purgeQueue(of: HubFixtures.deviceID)
            let big = try await harness.request("POST", "/devices/esp8266/messages/deviceBound?api-version=1", body: String(repeating: "x", count: 65_537))
            #expect(big.status == 413)
            #expect(big.headers["iothub-errorcode"] == "MessageTooLarge")
        }
    }

    @Test("throttle: 429 ThrottlingException for the throttled device's requests (all of them, hub-wide) until it ends; the token service is not IoT Hub and is not throttled")
    func throttled() async throws {
        try await withService { harness in
            try await harness.hub.startFault(.throttle, device: HubFixtures.deviceID)
            let send = try await harness.request("POST", "/devices/esp8266/messages/deviceBound?api-version=1", body: "on")
            #expect(send.status == 429)
            #expect(send.headers["iothub-errorcode"] == "ThrottlingException")
            #expect(send.body.contains("ErrorCode:ThrottlingException"))
            #expect(try await harness.hub.queueDepth(of: HubFixtures.deviceID) == 0)
            // Another device's request is not throttled by a fault scoped to esp8266.
            #expect(try await harness.request("GET", "/devices/other?api-version=1").status == 404)
            try await harness.hub.startFault(.throttle, device: nil)
            #expect(try await harness.request("GET", "/devices/other?api-version=1").status == 429)
            let token = try await harness.request("GET", "/api/token?device=esp8266&ttl=60", headers: ["x-functions-key": "function-key-1"], authorized: false)
            #expect(token.status == 200)
            // Unauthorised requests are still refused for what they are.
            #expect(try await harness.request("GET", "/devices/esp8266?api-version=1", authorized: false).status == 401)
            #expect(try await harness.hub.endFault(.throttle, device: nil))
            #expect(try await harness.hub.endFault(.throttle, device: HubFixtures.deviceID))
            #expect(try await harness.request("POST", "/devices/esp8266/messages/deviceBound?api-version=1", body: "on").status == 204)
        }
    }

    @Test("direct method: 404 DeviceNotOnline while offline, the device's status and payload once it answers")
    func directMethod() async throws {
        try await withService { harness in
            let offline = try await harness.request("POST", "/twins/esp8266/methods?api-version=2021-04-12", body: #"{"methodName":"blink","payload":{"times":2}}"#)
            #expect(offline.status == 404)
            #expect(offline.headers["iothub-errorcode"] == "DeviceNotOnline")
            #expect(offline.body.contains("ErrorCode:DeviceNotOnline;Timed out waiting for device to connect."))
            let client = try await device(harness, subscribing: ["$iothub/methods/POST/#"])
            async let answer = harness.request("POST", "/twins/esp8266/methods?api-version=2021-04-12", body: #"{"methodName":"blink","payload":{"times":2},"responseTimeoutInSeconds":5}"#)
            guard case .publish(let request) = await client.receive() else {
                Issue.record("no method request")
                return
            }
            #expect(request.topic.string == "$iothub/methods/POST/blink/?$rid=1")
            #expect(String(buffer: request.payload) == #"{"times":2}"#)
            try await client.send(.publish(PublishPacket(topic: topicName("$iothub/methods/res/200/?$rid=1"), payload: ByteBuffer(string: #"{"blinked":2}"#))))
            let reply = try await answer
            #expect(reply.status == 200)
            #expect(reply.body == #"{"payload":{"blinked":2},"status":200}"#)
            await client.close()
        }
    }

    @Test("twin: PATCH desired is pushed to the device, GET shows desired and reported with versions")
    func twin() async throws {
        try await withService { harness in
            let client = try await device(harness, subscribing: ["$iothub/twin/PATCH/properties/desired/#"])
            let patch = try await harness.request("PATCH", "/twins/esp8266?api-version=2021-04-12", body: #"{"properties":{"desired":{"led":"on"}},"tags":{"room":"lab"}}"#)
            #expect(patch.status == 200)
            guard case .publish(let push) = await client.receive() else {
                Issue.record("no desired notification")
                return
            }
            #expect(push.topic.string == "$iothub/twin/PATCH/properties/desired/?$version=2")
            #expect(String(buffer: push.payload) == #"{"$version":2,"led":"on"}"#)
            let twin = try await harness.request("GET", "/twins/esp8266?api-version=2021-04-12")
            #expect(twin.status == 200)
            let json = try JSONValue(parsing: Array(twin.body.utf8))
            #expect(json.objectValue?["tags"] == .object(["room": .string("lab")]))
            #expect(json.objectValue?["properties"] == .object(["desired": .object(["led": .string("on"), "$version": .integer(2)]), "reported": .object(["$version": .integer(1)])]))
            await client.close()
        }
    }

    @Test("registry: PUT creates (409 when it exists), GET shows keys and state, DELETE removes")
    func registry() async throws {
        try await withService { harness in
            let create = try await harness.request("PUT", "/devices/new-one?api-version=2021-04-12", body: #"{"deviceId":"new-one","authentication":{"type":"sas","symmetricKey":{"primaryKey":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}}}"#)
            #expect(create.status == 200)
            #expect(create.body.contains(#""primaryKey":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=""#))
            #expect(try await harness.request("PUT", "/devices/new-one?api-version=2021-04-12", body: "{}").status == 409)
            let disable = try await harness.request("PUT", "/devices/new-one?api-version=2021-04-12", headers: ["If-Match": "*"], body: #"{"status":"disabled"}"#)
            #expect(disable.status == 200)
            let get = try await harness.request("GET", "/devices/new-one?api-version=2021-04-12")
            #expect(get.body.contains(#""status":"disabled""#))
            #expect(get.body.contains(#""connectionState":"Disconnected""#))
            #expect(try await harness.request("DELETE", "/devices/new-one?api-version=2021-04-12").status == 204)
            #expect(try await harness.request("GET", "/devices/new-one?api-version=2021-04-12").status == 404)
            let anonymous = try await harness.request("GET", "/devices/esp8266?api-version=2021-04-12", authorized: false)
            #expect(anonymous.status == 401)
            #expect(anonymous.headers["iothub-errorcode"] == "IotHubUnauthorizedAccess")
        }
    }

    @Test("registry: an X.509 device created over REST (selfSigned with thumbprints, certificateAuthority) shows its type and thumbprints and no keys; a bad thumbprint is a 400")
    func x509Registry() async throws {
        try await withService { harness in
            let sha1 = String(repeating: "ab", count: 20)
            let body = #"{"deviceId":"cam","authentication":{"type":"selfSigned","x509Thumbprint":{"primaryThumbprint":"\#(sha1)","secondaryThumbprint":null}}}"#
            let create = try await harness.request("PUT", "/devices/cam?api-version=2021-04-12", body: body)
            #expect(create.status == 200)
            #expect(create.body.contains(#""type":"selfSigned""#) && create.body.contains(#""primaryThumbprint":"\#(sha1.uppercased())""#), "\(create.body)")
            #expect(create.body.contains(#""primaryKey":null"#), "\(create.body)")
            #expect(try await harness.hub.device(try DeviceID("cam"))?.authentication.usesCertificate == true)
            // Changing only the status keeps the authentication.
            _ = try await harness.request("PUT", "/devices/cam?api-version=2021-04-12", headers: ["If-Match": "*"], body: #"{"status":"disabled"}"#)
            #expect(try await harness.request("GET", "/devices/cam?api-version=2021-04-12").body.contains(#""type":"selfSigned""#))
            let ca = try await harness.request("PUT", "/devices/cam-ca?api-version=2021-04-12", body: #"{"authentication":{"type":"certificateAuthority"}}"#)
            #expect(ca.status == 200 && ca.body.contains(#""type":"certificateAuthority""#))
            let bad = try await harness.request("PUT", "/devices/cam-2?api-version=2021-04-12", body: #"{"authentication":{"type":"selfSigned","x509Thumbprint":{"primaryThumbprint":"12"}}}"#)
            #expect(bad.status == 400 && bad.body.contains("not a certificate thumbprint"), "\(bad.body)")
        }
    }

    @Test("token endpoint: 200 text/plain token that the hub accepts; 401, 404 and 400 otherwise")
    func tokenEndpoint() async throws {
        try await withService { harness in
            let key = ["x-functions-key": "function-key-1"]
            // Bracketed by the hub's clock before and after: a slow request on a loaded machine
            // must not fail the check.
            let before = harness.hub.now().unixSeconds
            let minted = try await harness.request("GET", "/api/token?device=esp8266&ttl=120", headers: key, authorized: false)
            let after = harness.hub.now().unixSeconds
            #expect(minted.status == 200)
            #expect(minted.headers["content-type"]?.hasPrefix("text/plain") == true)
            let token = try SASToken(parsing: minted.body)
            #expect((before + 120...after + 120).contains(token.expiry), "\(token.expiry) not in \(before + 120)...\(after + 120)")
            let client = try await MQTTTestClient.connect(port: harness.mqttPort, group: MultiThreadedEventLoopGroup.singleton)
            try await client.send(.connect(ConnectPacket(clientID: "esp8266", cleanSession: true, keepAlive: 30, username: "\(HubFixtures.hostName)/esp8266/?api-version=2021-04-12", password: ByteBuffer(string: minted.body))))
            #expect(await client.receive() == .connack(ConnAckPacket(returnCode: .accepted)))
            await client.close()
            #expect(try await harness.request("GET", "/api/token?device=esp8266&ttl=120", authorized: false).status == 401)
            #expect(try await harness.request("GET", "/api/token?device=esp8266&ttl=120", headers: ["x-functions-key": "wrong"], authorized: false).status == 401)
            #expect(try await harness.request("GET", "/api/token?device=ghost&ttl=120", headers: key, authorized: false).status == 404)
            #expect(try await harness.request("GET", "/api/token?device=esp8266&ttl=soon", headers: key, authorized: false).status == 400)
        }
    }
}
