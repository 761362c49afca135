#if !MQTT_FUZZING
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MQTTFuzzChecks

/// Without libFuzzer (a plain `swift build`), `MQTTFuzzer` replays the files given on the
/// command line through the same checks: `MQTTFuzzer Sources/MQTTFuzzer/Corpus/seed/*`.
@main
enum MQTTFuzzerReplay {
    static func main() {
        var failures = 0
        let paths = CommandLine.arguments.dropFirst()
        for path in paths {
            guard let bytes = readFile(path) else {
                print("\(path): cannot read")
                failures += 1
                continue
            }
            if let violation = bytes.withUnsafeBytes({ MQTTFuzzCheck.violation(in: $0) }) {
                print("\(path): \(violation)")
                failures += 1
            }
        }
        print("\(paths.count - failures) of \(paths.count) inputs keep every property")
        exit(failures == 0 ? 0 : 1)
    }

    static func readFile(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        return ferror(file) == 0 ? bytes : nil
    }
}
#endif
