import MQTTCore

/// Request/response pairs measured from packet records at one vantage point: a request the
/// recording endpoint sent and the response it received (CONNECT->CONNACK,
/// SUBSCRIBE->SUBACK, PUBLISH->PUBACK, PINGREQ->PINGRESP, UNSUBSCRIBE->UNSUBACK).
enum RoundTrips {
    struct Sample: Hashable {
        /// For example `connect-connack`.
        var name: String
        var requestTime: UInt64
        var responseTime: UInt64

        var duration: Duration { .nanoseconds(Int64(responseTime &- requestTime)) }
    }

    private struct Key: Hashable {
        var connection: UInt64
        var name: String
        var packetID: UInt16?
    }

    static func measure(_ records: [PacketRecord]) -> [Sample] {
        var pending: [Key: UInt64] = [:]
        var samples: [Sample] = []
        for record in records {
            switch record.direction {
            case .outbound:
                guard let (name, id) = requestKey(record.packet) else { continue }
                let key = Key(connection: record.connection, name: name, packetID: id)
                if pending[key] == nil { pending[key] = record.timestamp }
            case .inbound:
                guard let (name, id) = responseKey(record.packet) else { continue }
                let key = Key(connection: record.connection, name: name, packetID: id)
                if let start = pending.removeValue(forKey: key) {
                    samples.append(Sample(name: name, requestTime: start, responseTime: record.timestamp))
                }
            }
        }
        return samples
    }

    private static func requestKey(_ packet: MQTTPacket) -> (String, UInt16?)? {
        switch packet {
        case .connect: ("connect-connack", nil)
        case .subscribe(let subscribe): ("subscribe-suback", subscribe.packetID)
        case .unsubscribe(let unsubscribe): ("unsubscribe-unsuback", unsubscribe.packetID)
        case .publish(let publish) where publish.qos == .atLeastOnce: ("publish-puback", publish.packetID)
        case .publish(let publish) where publish.qos == .exactlyOnce: ("publish-pubrec", publish.packetID)
        case .pubrel(let pubrel): ("pubrel-pubcomp", pubrel.packetID)
        case .pingreq: ("pingreq-pingresp", nil)
        default: nil
        }
    }

    private static func responseKey(_ packet: MQTTPacket) -> (String, UInt16?)? {
        switch packet {
        case .connack: ("connect-connack", nil)
        case .suback(let suback): ("subscribe-suback", suback.packetID)
        case .unsuback(let unsuback): ("unsubscribe-unsuback", unsuback.packetID)
        case .puback(let puback): ("publish-puback", puback.packetID)
        case .pubrec(let pubrec): ("publish-pubrec", pubrec.packetID)
        case .pubcomp(let pubcomp): ("pubrel-pubcomp", pubcomp.packetID)
        case .pingresp: ("pingreq-pingresp", nil)
        default: nil
        }
    }
}
