import CHeap
import MQTTCore
import NIOCore
import NIOEmbedded

/// Measures the MQTT codec on the calling thread (one core): decode and encode throughput for
/// a PUBLISH, for an MQTT 5.0 PUBLISH with properties and for the seed's CONNECT, decoding
/// through ``MQTTCodecHandler`` with the packet tap off and on, and the heap a decoded PUBLISH
/// keeps.
public struct CodecBenchmark {
    /// One throughput figure.
    public struct Throughput: Sendable, Equatable {
        public var name: String
        public var operations: Int
        public var elapsed: Duration

        /// Operations per second.
        public var rate: Double { Double(operations) / elapsed.seconds }
        /// Nanoseconds per operation.
        public var nanosecondsPerOperation: Double { elapsed.seconds * 1e9 / Double(operations) }
    }

    /// Heap bytes that stay allocated per decoded PUBLISH while the packets are kept.
    public struct RetainedHeap: Sendable, Equatable {
        public var topicLength: Int
        public var payloadLength: Int
        public var bytesPerPacket: Double
    }

    /// Everything one run measured.
    public struct Report: Sendable {
        public var throughputs: [Throughput]
        public var retainedHeap: [RetainedHeap]
        /// Whether the C library reports heap statistics (glibc 2.33 or later).
        public var heapStatisticsAvailable: Bool

        /// Decode cost of a tap: 1 - (rate with the tap / rate without it).
        public func tapCost(on tapName: String, off baseline: String) -> Double? {
            guard let off = throughputs.first(where: { $0.name == baseline }),
                let on = throughputs.first(where: { $0.name == tapName })
            else { return nil }
            return 1 - on.rate / off.rate
        }
    }

    public static let publishDecode = "decode PUBLISH (32 B topic, 64 B payload)"
    public static let publishEncode = "encode PUBLISH (32 B topic, 64 B payload)"
    public static let publish5Decode = "decode MQTT 5.0 PUBLISH with 6 properties (32 B topic, 64 B payload)"
    public static let publish5Encode = "encode MQTT 5.0 PUBLISH with 6 properties (32 B topic, 64 B payload)"
    public static let handler5TapOff = "decode MQTT 5.0 PUBLISH via MQTTCodecHandler, tap off"
    public static let connectDecode = "decode CONNECT (seed, 224 B)"
    public static let connectEncode = "encode CONNECT (seed, 224 B)"
    public static let handlerTapOff = "decode PUBLISH via MQTTCodecHandler, tap off"
    public static let handlerCountingTap = "decode PUBLISH via MQTTCodecHandler, counting tap"
    public static let handlerStoringTap = "decode PUBLISH via MQTTCodecHandler, storing tap"
    public static let singleReadTapOff = "decode PUBLISH via MQTTCodecHandler, 1 per read, tap off"
    public static let singleReadCountingTap = "decode PUBLISH via MQTTCodecHandler, 1 per read, counting tap"

    /// How long each throughput case runs (after a warm-up of one batch).
    public var duration: Duration
    /// Packets per batch: one input buffer holds this many packets back to back.
    public var batchSize = 1000
    /// Runs only the throughput cases whose name contains this text (all when `nil`).
    public var filter: String?

    public init(duration: Duration, batchSize: Int = 1000, filter: String? = nil) {
        self.duration = duration
        self.batchSize = batchSize
        self.filter = filter
    }

    /// The PUBLISH the throughput cases use: a `topicLength`-byte topic, a
    /// `payloadLength`-byte payload, QoS 0.
    public static func publish(topicLength: Int = 32, payloadLength: Int = 64) throws -> MQTTPacket {
        let prefix = "devices/esp8266/messages/events/"
        let topic = String((prefix + String(repeating: "t", count: max(0, topicLength - prefix.utf8.count))).prefix(topicLength))
        return .publish(PublishPacket(topic: try TopicName(topic), payload: ByteBuffer(repeating: 0x61, count: payloadLength)))
    }

    /// The MQTT 5.0 PUBLISH the throughput cases use: ``publish(topicLength:payloadLength:)``
    /// at QoS 1 with six properties a telemetry message carries (section 3.3.2.3): Payload
    /// Format Indicator, Message Expiry Interval, Content Type, Topic Alias, a Subscription
    /// Identifier and a User Property; 164 bytes on the wire.
    public static func publish5() throws -> MQTTPacket {
        guard case .publish(var publish) = try publish() else { throw BenchmarkError(description: "the benchmark's PUBLISH is not a PUBLISH") }
        publish.qos = .atLeastOnce
        publish.packetID = 1
        publish.properties = try MQTTProperties([
            .payloadFormatIndicator(1), .messageExpiryInterval(3600), .contentType("application/json"), .topicAlias(7),
            .subscriptionIdentifier(42), .userProperty(name: "trace-id", value: "4bf92f3577b34da6"),
        ])
        return .publish(publish)
    }

    /// A CONNECT shaped exactly like the seed firmware's (224 bytes): client id `esp8266`,
    /// clean session 0, keep-alive 4000, the IoT Hub user name and a SAS token password of the
    /// seed's length (its signature replaced by a placeholder).
    public static func seedConnect() -> MQTTPacket {
        let signature = String(repeating: "A", count: 43) + "%3D"
        let password = "SharedAccessSignature sr=yourIotHub.azure-devices.net%2Fdevices%2Fesp8266&sig=\(signature)&se=1574590568"
        return .connect(
            ConnectPacket(
                clientID: "esp8266",
                cleanSession: false,
                keepAlive: 4000,
                username: "yourIotHub.azure-devices.net/esp8266/?api-version=2018-06-30",
                password: ByteBuffer(string: password)
            )
        )
    }

    /// Runs every case.
    public func run() throws -> Report {
        let publish = try Self.publish()
        let publish5 = try Self.publish5()
        let connect = Self.seedConnect()
        let cases: [(String, () throws -> Throughput)] = [
            (Self.publishDecode, { try measureDecode(Self.publishDecode, packet: publish) }),
            (Self.publishEncode, { try measureEncode(Self.publishEncode, packet: publish) }),
            (Self.publish5Decode, { try measureDecode(Self.publish5Decode, packet: publish5, version: .v5) }),
            (Self.publish5Encode, { try measureEncode(Self.publish5Encode, packet: publish5, version: .v5) }),
            (Self.connectDecode, { try measureDecode(Self.connectDecode, packet: connect) }),
            (Self.connectEncode, { try measureEncode(Self.connectEncode, packet: connect) }),
            (Self.handlerTapOff, { try measureHandler(Self.handlerTapOff, packet: publish, tap: nil) }),
            (Self.handlerCountingTap, { try measureHandler(Self.handlerCountingTap, packet: publish, tap: CountingTap()) }),
            (Self.handlerStoringTap, { try measureHandler(Self.handlerStoringTap, packet: publish, tap: StoringTap(capacity: batchSize)) }),
            (Self.singleReadTapOff, { try measureHandler(Self.singleReadTapOff, packet: publish, tap: nil, packetsPerRead: 1) }),
            (Self.singleReadCountingTap, { try measureHandler(Self.singleReadCountingTap, packet: publish, tap: CountingTap(), packetsPerRead: 1) }),
            (Self.handler5TapOff, { try measureHandler(Self.handler5TapOff, packet: publish5, tap: nil, version: .v5) }),
        ]
        var throughputs: [Throughput] = []
        for (name, run) in cases where filter.map({ name.lowercased().contains($0.lowercased()) }) ?? true {
            throughputs.append(try run())
        }
        var retained: [RetainedHeap] = []
        for (topicLength, payloadLength) in [(8, 64), (8, 1024), (32, 64), (32, 1024)] {
            retained.append(try Self.retainedHeap(topicLength: topicLength, payloadLength: payloadLength, count: 10_000))
        }
        return Report(throughputs: throughputs, retainedHeap: retained, heapStatisticsAvailable: harness_heap_statistics_available() != 0)
    }

    /// Decodes batches of `packet` from one buffer.
    public func measureDecode(_ name: String, packet: MQTTPacket, version: MQTTProtocolVersion = .v311) throws -> Throughput {
        let input = try batch(of: packet, version: version)
        let sink = Sink()
        return try measure(name) {
            var buffer = input
            var decoded = 0
            while let packet = try MQTTPacket.decode(from: &buffer, version: version) {
                sink.consume(packet)
                decoded += 1
            }
            return decoded
        }
    }

    /// Encodes `packet` into a reused buffer, a batch at a time.
    public func measureEncode(_ name: String, packet: MQTTPacket, version: MQTTProtocolVersion = .v311) throws -> Throughput {
        var buffer = try batch(of: packet, version: version)
        let count = batchSize
        return try measure(name) {
            buffer.clear()
            for _ in 0..<count { try packet.encode(into: &buffer, version: version) }
            return count
        }
    }

    /// Feeds batches of `packet` through an ``MQTTCodecHandler`` in an `EmbeddedChannel`,
    /// `packetsPerRead` packets per channel read (a whole batch when `nil`).
    public func measureHandler(_ name: String, packet: MQTTPacket, tap: (any PacketTap)?, packetsPerRead: Int? = nil, version: MQTTProtocolVersion = .v311) throws -> Throughput {
        let input = try batch(of: packet, version: version)
        let packetSize = try packet.encoded(version: version).readableBytes
        let readSize = (packetsPerRead ?? batchSize) * packetSize
        let reads = stride(from: 0, to: input.readableBytes, by: readSize).compactMap { input.getSlice(at: $0, length: min(readSize, input.readableBytes - $0)) }
        let sink = Sink()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(MQTTCodecHandler(configuration: .init(connection: 1, tap: tap, protocolVersion: version)))
        try channel.pipeline.syncOperations.addHandler(SinkHandler(sink: sink))
        defer { _ = try? channel.finish() }
        return try measure(name) {
            let before = sink.count
            for read in reads { try channel.writeInbound(read) }
            return sink.count - before
        }
    }

    /// Heap bytes retained per decoded PUBLISH: decodes `count` packets from one buffer and
    /// keeps them all. A payload that were copied would show up here in full.
    public static func retainedHeap(topicLength: Int, payloadLength: Int, count: Int) throws -> RetainedHeap {
        let packet = try publish(topicLength: topicLength, payloadLength: payloadLength)
        var input = ByteBuffer()
        for _ in 0..<count { try packet.encode(into: &input) }
        var kept: [MQTTPacket] = []
        kept.reserveCapacity(count)
        let before = harness_heap_bytes_in_use()
        while let decoded = try MQTTPacket.decode(from: &input) { kept.append(decoded) }
        let after = harness_heap_bytes_in_use()
        guard kept.count == count, kept.allSatisfy({ $0 == packet }) else {
            throw BenchmarkError(description: "decoded \(kept.count) of \(count) packets, or a different packet")
        }
        let grown = after >= before ? Double(after - before) : -Double(before - after)
        return RetainedHeap(topicLength: topicLength, payloadLength: payloadLength, bytesPerPacket: grown / Double(count))
    }

    private func batch(of packet: MQTTPacket, version: MQTTProtocolVersion = .v311) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        for _ in 0..<batchSize { try packet.encode(into: &buffer, version: version) }
        return buffer
    }

    /// Runs `body` (which returns the operations it did) once to warm up, then repeatedly
    /// for ``duration``.
    private func measure(_ name: String, _ body: () throws -> Int) throws -> Throughput {
        guard try body() == batchSize else { throw BenchmarkError(description: "\(name): a batch did not process \(batchSize) packets") }
        let clock = ContinuousClock()
        let start = clock.now
        var operations = 0
        var elapsed = Duration.zero
        repeat {
            operations += try body()
            elapsed = clock.now - start
        } while elapsed < duration
        return Throughput(name: name, operations: operations, elapsed: elapsed)
    }
}

/// A benchmark case went wrong (a batch decoded fewer packets than it holds).
public struct BenchmarkError: Error, CustomStringConvertible {
    public var description: String
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
