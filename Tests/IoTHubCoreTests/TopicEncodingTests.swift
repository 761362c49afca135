import IoTHubCore
import Testing

@Suite struct TopicEncodingTests {
    @Test("percent-encoding as the SDKs do it: upper-case hex, unreserved characters kept")
    func percentEncoding() throws {
        #expect(PercentEncoding.encode("a/b c=d&e~f_g.h-i") == "a%2Fb%20c%3Dd%26e~f_g.h-i")
        #expect(PercentEncoding.encode("é") == "%C3%A9")
        #expect(PercentEncoding.encode("Unreserved-0.9_~") == "Unreserved-0.9_~")
        #expect(PercentEncoding.encode("") == "")
        #expect(try PercentEncoding.decode("a%2fb%2F") == "a/b/")
        #expect(try PercentEncoding.decode("a+b") == "a+b")
        #expect(throws: IoTHubCoreError.self) { try PercentEncoding.decode("%4") }
        #expect(throws: IoTHubCoreError.self) { try PercentEncoding.decode("%ff") }
    }

    @Test("property bags: null, empty and encoded values, in order")
    func propertyBags() throws {
        var bag = PropertyBag()
        bag.append("$.mid", "1")
        bag.append("prop1", nil)
        bag.append("prop2", "")
        bag.append("prop3", "a string")
        #expect(bag.encoded == "%24.mid=1&prop1&prop2=&prop3=a%20string")
        let parsed = try PropertyBag(parsing: bag.encoded)
        #expect(parsed == bag)
        #expect(parsed["prop1"] == .some(nil))
        #expect(parsed["missing"] == nil)
    }

    @Test("C2D topics as IoT Hub delivers them")
    func cloudToDeviceTopics() throws {
        let id = try DeviceID("esp8266")
        #expect(IoTHubTopics.deviceboundFilter(id) == "devices/esp8266/messages/devicebound/#")
        let bag: PropertyBag = ["$.mid": "m1", "$.to": IoTHubTopics.deviceboundAddress(id)]
        #expect(
            IoTHubTopic.devicebound(id, properties: bag).name
                == "devices/esp8266/messages/devicebound/%24.mid=m1&%24.to=%2Fdevices%2Fesp8266%2Fmessages%2Fdevicebound"
        )
    }
}
