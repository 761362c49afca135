import Foundation
import MQTTCore
@testable import MQTTFuzzChecks
import NIOCore
import Testing

/// The fuzzer's committed corpus (seed inputs and the inputs of past findings) keeps every
/// property the fuzzer checks (``MQTTFuzzCheck``).
@Suite struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/MQTTFuzzer/Corpus")

    static func files(in folder: String) -> [URL] {
        let directory = corpus.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { directory.appendingPathComponent($0) }
    }

    @Test("every seed and regression input keeps every property")
    func corpusKeepsProperties() throws {
        let files = Self.files(in: "seed") + Self.files(in: "regressions")
        #expect(Self.files(in: "seed").count >= 30)
        for file in files {
            let bytes = try Data(contentsOf: file)
            let violation = bytes.withUnsafeBytes { MQTTFuzzCheck.violation(in: $0) }
            #expect(violation == nil, "\(file.lastPathComponent): \(violation ?? "")")
        }
    }

    @Test("the MQTT 5.0 seeds decode whole as MQTT 5.0; the malformed ones are refused with a 5.0 rule")
    func version5Seeds() throws {
        let seeds = Self.files(in: "seed").filter { $0.lastPathComponent.hasPrefix("v5-") }
        #expect(seeds.count >= 25)
        for file in seeds {
            let decoded = MQTTFuzzCheck.decodeAll(ByteBuffer(bytes: try Data(contentsOf: file)), version: .v5, maximumPacketSize: MQTTPacket.maximumSize)
            if file.lastPathComponent.contains("malformed") {
                #expect(decoded.error?.protocolVersion == .v5, "\(file.lastPathComponent)")
            } else {
                #expect(decoded.error == nil && !decoded.packets.isEmpty, "\(file.lastPathComponent): \(String(describing: decoded.error))")
            }
        }
    }

    @Test(
        "adversarial inputs keep every property",
        arguments: [
            "", "00", "ff", "30", "3080", "30808080", "3080808080", "3000", "c000c000c000", "82", "8202", "10ff7f",
            "3001ff", "3002ffff", "32020001", "34050001740001", "e000ff", "3005000361002b", "9002000190020001",
            "f000", "f001", "f00118", "e08000", "e0018e", "4003000110", "300400000078", "30060001610223", "2003000000",
            "820700010000016140", "3008000161040b808080", "b00300010000", "100e00044d51545405023c00000163",
        ]
    )
    func adversarial(hex: String) {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        #expect(bytes.withUnsafeBytes { MQTTFuzzCheck.violation(in: $0) } == nil)
    }

    @Test("the checks report what they find")
    func violationsAreReported() {
        // A packet said to have been 10 bytes long cannot re-encode to 2.
        #expect(MQTTFuzzCheck.roundTripViolation(.pingreq, size: 10) != nil)
        #expect(MQTTFuzzCheck.roundTripViolation(.pingreq, size: 2) == nil)
        // A decode that claims other packets than the input holds.
        let input = ByteBuffer(bytes: [0xC0, 0x00, 0xD0, 0x00])
        var wrong = MQTTFuzzCheck.decodeAll(input, maximumPacketSize: MQTTPacket.maximumSize)
        #expect(MQTTFuzzCheck.splitViolation(input, expected: wrong) == nil)
        wrong.packets.removeLast()
        #expect(MQTTFuzzCheck.splitViolation(input, expected: wrong) != nil)
        #expect(MQTTFuzzCheck.limitViolation(input, unlimited: wrong) != nil)
    }
}
