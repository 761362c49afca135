import IoTHubCore
import MQTTCore
import Yams

extension StepParser {
    /// `publish: payload` or `{ payload, topic, qos, retain, properties }`: on a 5.0 device
    /// the properties are PUBLISH properties (and an empty topic may stand for a topic alias),
    /// otherwise the IoT Hub property bag of the telemetry topic.
    mutating func readPublish(_ value: Node) -> PublishSpec? {
        if reader.isNull(value) {
            reader.error("publish needs a payload, for example publish: \"23.5\"", at: value)
            return nil
        }
        if value.scalar != nil { return reader.string(value, "publish payload").map { PublishSpec(payload: $0) } }
        guard let options = reader.mapping(value, "publish", keys: Vocabulary.publish) else { return nil }
        guard let payloadNode = options["payload"], let payload = reader.string(payloadNode, "publish payload") else {
            if options["payload"] == nil { reader.missing("payload", in: options, "publish") }
            return nil
        }
        var spec = PublishSpec(payload: readPayloadSize(options, seed: payload, payloadNode: payloadNode, "publish"))
        if let node = options["properties"], speaksMQTT5 {
            var values = MQTT5ValueParser(reader: reader)
            spec.mqttProperties = values.encodedProperties(node, in: .publish) ?? .none
            reader = values.reader
        }
        if let node = options["topic"], let text = reader.string(node, "publish topic") {
            if text.isEmpty, speaksMQTT5, spec.mqttProperties.topicAlias != nil {
                // MQTT 5.0: the topic alias stands for the topic it was set up with (3.3.2.3.4).
                spec.topic = .empty
            } else {
                do {
                    spec.topic = try TopicName(text)
                } catch {
                    let hint = text.isEmpty && speaksMQTT5 ? " (an empty topic needs a topic_alias property set up by an earlier publish)" : ""
                    reader.error("publish topic: \(error)\(hint)", at: node)
                }
            }
        }
        if !speaksMQTT5, let node = options["properties"], let bag = readProperties(node) {
            if options["topic"] != nil {
                reader.error("give 'topic' or 'properties' (for the telemetry topic's property bag), not both", at: node)
            }
            spec.properties = bag
        }
        if let node = options["qos"] { spec.qos = readQoS(node) ?? spec.qos }
        if let node = options["retain"] { spec.retain = reader.bool(node, "retain") ?? false }
        return spec
    }
}
