import IoTHubCore
import Testing

/// The one parser of IoT Hub topics: every form, both ways, and what it refuses.
@Suite struct IoTHubTopicTests {
    static let device = try! DeviceID("esp8266")

    /// Every form, written as IoT Hub writes it.
    static let forms: [(String, IoTHubTopic)] = [
        ("devices/esp8266/messages/events/", .telemetry(device, properties: [:])),
        ("devices/esp8266/messages/events/a=1&%24.ct=application%2Fjson&bare", .telemetry(device, properties: ["a": "1", "$.ct": "application/json", "bare": nil])),
        ("devices/esp8266/messages/devicebound/%24.mid=m1&%24.to=%2Fdevices%2Fesp8266%2Fmessages%2Fdevicebound&color=red",
         .devicebound(device, properties: ["$.mid": "m1", "$.to": "/devices/esp8266/messages/devicebound", "color": "red"])),
        ("$iothub/twin/GET/?$rid=42", .twinGet(requestID: "42")),
        ("$iothub/twin/PATCH/properties/reported/?$rid=7", .twinReportedPatch(requestID: "7")),
        ("$iothub/twin/res/200/?$rid=42", .twinResponse(status: 200, requestID: "42", version: nil)),
        ("$iothub/twin/res/204/?$rid=1&$version=2", .twinResponse(status: 204, requestID: "1", version: 2)),
        ("$iothub/twin/PATCH/properties/desired/?$version=3", .twinDesiredPatch(version: 3)),
        ("$iothub/methods/POST/reboot_now-2/?$rid=1", .methodRequest(name: "reboot_now-2", requestID: "1")),
        ("$iothub/methods/res/201/?$rid=9", .methodResponse(status: 201, requestID: "9")),
    ]

    @Test("every form parses to its value, and the value writes the same name", arguments: forms)
    func roundTrip(name: String, topic: IoTHubTopic) throws {
        #expect(try IoTHubTopic(parsing: name) == topic)
        #expect(topic.name == name)
    }

    @Test("what devices and SDKs also write: no trailing slash, other query members, percent-encoded ids, a bag holding /", arguments: [
        ("devices/esp8266/messages/events", IoTHubTopic.telemetry(device, properties: [:])),
        ("devices/esp8266/messages/events/a=1/b", .telemetry(device, properties: ["a": "1/b"])),
        ("devices/esp8266/messages/events/&&a=", .telemetry(device, properties: ["a": ""])),
        ("devices/other-device/messages/events/x=y", .telemetry(try! DeviceID("other-device"), properties: ["x": "y"])),
        ("devices/esp8266/messages/devicebound", .devicebound(device, properties: [:])),
        ("$iothub/twin/GET/?$rid=1&extra", .twinGet(requestID: "1")),
        ("$iothub/twin/GET/?%24rid=a%2Fb", .twinGet(requestID: "a/b")),
        ("$iothub/twin/res/200/?$version=5&$rid=1", .twinResponse(status: 200, requestID: "1", version: 5)),
        ("$iothub/methods/res/500/?$rid=x&other=1", .methodResponse(status: 500, requestID: "x")),
    ])
    func tolerated(name: String, topic: IoTHubTopic) throws {
        #expect(try IoTHubTopic(parsing: name) == topic)
    }

    @Test("malformed topics are refused, saying why", arguments: [
        ("", "neither"),
        ("telemetry", "neither"),
        ("device/esp8266/messages/events/", "neither"),
        ("devices/esp8266", "is not devices/{id}/messages/events/"),
        ("devices/esp8266/messages", "is not devices/{id}/messages/events/"),
        ("devices/esp8266/messages/eventsX/", "is not devices/{id}/messages/events/"),
        ("devices/esp8266/message/events/", "is not devices/{id}/messages/events/"),
        ("devices//messages/events/", "it is empty"),
        ("devices/bad id/messages/events/", "character ' ' is not allowed"),
        ("devices/esp8266/messages/events/a=%zz", "property bag"),
        ("devices/esp8266/messages/devicebound/%4", "property bag"),
        ("$iothub/twin/GET/", "no query"),
        ("$iothub/twin/GET", "not a twin or direct method topic"),
        ("$iothub/twin/GET/?rid=1", "no $rid"),
        ("$iothub/twin/GET/?$rid=", "no $rid"),
        ("$iothub/twin/GET/?$rid", "no $rid"),
        ("$iothub/twin/GET/x?$rid=1", "no query"),
        ("$iothub/twin/GET/?$rid=%z1", "query"),
        ("$iothub/twin/PATCH/properties/reported/", "no query"),
        ("$iothub/twin/PATCH/properties/desired/?$rid=1", "no $version"),
        ("$iothub/twin/PATCH/properties/desired/?$version=two", "$version is not a whole number"),
        ("$iothub/twin/PATCH/properties/desired/?$version", "$version is not a whole number"),
        ("$iothub/twin/res/abc/?$rid=1", "no status code"),
        ("$iothub/twin/res/200?$rid=1", "no status code"),
        ("$iothub/twin/res/200/?$rid=1&$version=x", "$version is not a whole number"),
        ("$iothub/methods/res/abc/?$rid=1", "no status code"),
        ("$iothub/methods/res/200/", "no query"),
        ("$iothub/methods/POST/?$rid=1", "no method name"),
        ("$iothub/methods/POST//?$rid=1", "no method name"),
        ("$iothub/methods/POST/reboot", "no method name"),
        ("$iothub/methods/POST/reboot?$rid=1", "no method name"),
        ("$iothub/methods/POST/reboot/?rid=1", "no $rid"),
        ("$iothub/unknown/?$rid=1", "not a twin or direct method topic"),
        ("$iothub/", "not a twin or direct method topic"),
    ])
    func malformed(name: String, reason: String) {
        do {
            let topic = try IoTHubTopic(parsing: name)
            Issue.record("'\(name)' parsed as \(topic)")
        } catch {
            guard case .malformedTopic(let topic, let said) = error else {
                Issue.record("'\(name)': \(error)")
                return
            }
            #expect(topic == name)
            #expect(said.contains(reason), "'\(name)': \(said)")
            #expect(error.description.hasPrefix("topic '\(name)' is not an IoT Hub topic: "))
        }
    }

    @Test("an observer of a plain broker may read a malformed bag as empty; the topic must still be IoT Hub's")
    func malformedBagReadAsEmpty() throws {
        #expect(try IoTHubTopic(parsing: "devices/esp8266/messages/events/a=%zz", malformedBag: .readAsEmpty) == .telemetry(Self.device, properties: [:]))
        #expect(try IoTHubTopic(parsing: "devices/esp8266/messages/events/a=1", malformedBag: .readAsEmpty) == .telemetry(Self.device, properties: ["a": "1"]))
        #expect(throws: IoTHubCoreError.self) { try IoTHubTopic(parsing: "devices/bad id/messages/events/a=%zz", malformedBag: .readAsEmpty) }
        #expect(throws: IoTHubCoreError.self) { try IoTHubTopic(parsing: "$iothub/twin/GET/?$rid=%zz", malformedBag: .readAsEmpty) }
    }

    @Test("filters and prefixes as IoT Hub defines them")
    func filters() {
        #expect(IoTHubTopics.deviceboundFilter(Self.device) == "devices/esp8266/messages/devicebound/#")
        #expect(IoTHubTopics.telemetryPrefix(Self.device) == "devices/esp8266/messages/events/")
        #expect(IoTHubTopics.allTelemetryFilter == "devices/+/messages/events/#")
        #expect(IoTHubTopics.twinResponsesFilter == "$iothub/twin/res/#")
        #expect(IoTHubTopics.twinDesiredPatchesFilter == "$iothub/twin/PATCH/properties/desired/#")
        #expect(IoTHubTopics.methodRequestsFilter == "$iothub/methods/POST/#")
    }
}
