import Foundation
import ArgumentParser
import IoTHubCore

/// A device given on the command line or in a devices file: `id` or `id:key` (base64 key).
struct DeviceArgument: Sendable, Hashable, ExpressibleByArgument {
    var id: DeviceID
    var key: DeviceKey?

    init?(argument: String) {
        guard let parsed = try? Self.parse(argument) else { return nil }
        self = parsed
    }

    init(id: DeviceID, key: DeviceKey?) {
        self.id = id
        self.key = key
    }

    /// Parses `id[:key]`.
    /// - Throws: a message saying what is wrong.
    static func parse(_ text: String) throws(InvalidInput) -> DeviceArgument {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let id: DeviceID
        do {
            id = try DeviceID(parts[0])
        } catch {
            throw InvalidInput(description: "\(error)")
        }
        guard parts.count == 2 else { return DeviceArgument(id: id, key: nil) }
        do {
            return DeviceArgument(id: id, key: try DeviceKey(base64: parts[1]))
        } catch {
            throw InvalidInput(description: "device '\(id)': \(error)")
        }
    }

    /// Reads a devices file: one `id[:key]` per line; blank lines and `#` comments are skipped.
    /// - Throws: ``InvalidInput`` with `file:line: error: ...` for every bad line.
    static func readFile(_ path: String) throws(InvalidInput) -> [DeviceArgument] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw InvalidInput(description: "\(path): error: cannot read the devices file")
        }
        var devices: [DeviceArgument] = []
        var problems: [String] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            do {
                devices.append(try parse(line))
            } catch {
                problems.append("\(path):\(index + 1): error: \(error.description)")
            }
        }
        guard problems.isEmpty else { throw InvalidInput(description: problems.joined(separator: "\n")) }
        return devices
    }
}
