import IoTHubCore
import NIOCore
import Testing

/// The one C2D message value: its validated parts, and the property bag it is delivered with.
@Suite struct CloudToDeviceMessageTests {
    typealias TimeToLive = CloudToDeviceMessage.TimeToLive
    typealias Acknowledgement = CloudToDeviceMessage.Acknowledgement

    @Test("a time to live is from 1 minute to 2 days, bounds included", arguments: [
        (Duration.seconds(60), true), (.seconds(59), false), (.milliseconds(59_999), false), (.seconds(3600), true),
        (.seconds(172_800), true), (.seconds(172_800) + .nanoseconds(1), false), (.zero, false), (.seconds(-60), false),
    ])
    func timeToLiveBounds(duration: Duration, valid: Bool) throws {
        if valid {
            #expect(try TimeToLive(duration).duration == duration)
        } else {
            #expect(throws: IoTHubCoreError.timeToLiveOutOfRange(duration)) { try TimeToLive(duration) }
        }
    }

    @Test("an out-of-range time to live says what and why; whole seconds round down; the default is an hour")
    func timeToLiveFacts() throws {
        #expect(IoTHubCoreError.timeToLiveOutOfRange(.seconds(30)).description == "time to live 30.0 seconds is outside 1 minute to 2 days")
        #expect(try TimeToLive(.milliseconds(90_999)).wholeSeconds == 90)
        #expect(TimeToLive.oneHour.duration == .seconds(3600))
        let twoHours = try TimeToLive(.seconds(7200))
        #expect(twoHours > TimeToLive.oneHour)
    }

    @Test("acknowledgements round trip through their wire spellings, exactly")
    func acknowledgementSpellings() {
        #expect(Acknowledgement.spellings == ["none", "positive", "negative", "full"])
        #expect(Acknowledgement.spellingsInWords == "none, positive, negative or full")
        for acknowledgement in Acknowledgement.allCases {
            #expect(Acknowledgement(rawValue: acknowledgement.rawValue) == acknowledgement)
            #expect(acknowledgement.description == acknowledgement.rawValue)
        }
        #expect(Acknowledgement(rawValue: "none") == .noFeedback)
        for wrong in ["Full", "NONE", "", "fulll", "positive "] { #expect(Acknowledgement(rawValue: wrong) == nil) }
    }

    @Test("service error codes round trip through the service's spellings, with its HTTP statuses")
    func errorCodes() {
        let spelt: [(IoTHubErrorCode, String, Int)] = [
            (.argumentInvalid, "ArgumentInvalid", 400), (.badRequest, "BadRequest", 400), (.deviceAlreadyExists, "DeviceAlreadyExists", 409),
            (.deviceMaximumQueueDepthExceeded, "DeviceMaximumQueueDepthExceeded", 403), (.deviceNotFound, "DeviceNotFound", 404),
            (.deviceNotOnline, "DeviceNotOnline", 404), (.gatewayTimeout, "GatewayTimeout", 504), (.invalidProtocolVersion, "InvalidProtocolVersion", 400),
            (.iotHubUnauthorizedAccess, "IotHubUnauthorizedAccess", 401), (.messageTooLarge, "MessageTooLarge", 413),
            (.methodNotAllowed, "MethodNotAllowed", 405), (.notFound, "NotFound", 404), (.requestTimeout, "RequestTimeout", 408),
            (.serverError, "ServerError", 500), (.serverBusy, "ServerBusy", 503),
            (.throttlingException, "ThrottlingException", 429),
        ]
        #expect(spelt.count == IoTHubErrorCode.allCases.count)
        for (code, spelling, status) in spelt {
            #expect(code.rawValue == spelling && code.description == spelling && code.httpStatus == status)
            #expect(IoTHubErrorCode(rawValue: spelling) == code)
        }
        #expect(IoTHubErrorCode(rawValue: "devicenotfound") == nil)
        #expect(IoTHubErrorCode(rawValue: "IotHubQuotaExceeded") == nil)
        #expect(IoTHubErrorCode.cloudToDeviceRefusals.map(\.rawValue) == ["ArgumentInvalid", "DeviceMaximumQueueDepthExceeded", "DeviceNotFound", "MessageTooLarge"])
    }

    @Test("the devicebound bag: $.mid and $.to, the system properties that are set in IoT Hub's order, then the application ones")
    func deviceboundProperties() throws {
        let id = try DeviceID("esp8266")
        let plain = CloudToDeviceMessage(payload: ByteBuffer(string: "on"))
        #expect(plain.deviceboundProperties(to: id, messageID: "m1").encoded == "%24.mid=m1&%24.to=%2Fdevices%2Fesp8266%2Fmessages%2Fdevicebound")
        let full = CloudToDeviceMessage(
            payload: ByteBuffer(string: "{}"),
            properties: ["color": "red", "flag": nil, "empty": ""],
            messageID: "ignored here",
            correlationID: "c1",
            timeToLive: try TimeToLive(.seconds(600)),
            acknowledgement: .noFeedback,
            userID: "u",
            contentType: "application/json",
            contentEncoding: "utf-8",
            absoluteExpiry: HubTime(nanosecondsSince1970: 1_800_003_600_172_000_000)
        )
        #expect(
            full.deviceboundTopic(to: id, messageID: "m:1")
                == "devices/esp8266/messages/devicebound/%24.mid=m%3A1&%24.to=%2Fdevices%2Fesp8266%2Fmessages%2Fdevicebound&%24.cid=c1&%24.uid=u"
                + "&%24.ct=application%2Fjson&%24.ce=utf-8&%24.exp=2027-01-15T09%3A00%3A00.1720000Z&iothub-ack=none&color=red&flag&empty="
        )
        // The time to live is the hub's business; the device is not told it.
        #expect(full.deviceboundProperties(to: id, messageID: "m").properties.map(\.name).contains { $0.contains("ttl") || $0.contains("expiry") } == false)
    }
}
