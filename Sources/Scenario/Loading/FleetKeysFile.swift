import Foundation
import IoTHubCore

/// A fleet's device list: `device-id,base64-key` per line (blank lines and `#` comments
/// skipped), as exported from a registry the user already filled.
enum FleetKeysFile {
    /// What is wrong with the file, with the line.
    struct Problem: Error {
        var message: String
    }

    /// The largest keys file read: room for a million devices' lines.
    static let maximumSize = 64 << 20

    static func read(path: String) -> Result<[DeviceID: DeviceKey], Problem> {
        // A device, a pipe or a folder is refused before reading: /dev/zero would never end.
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            return .failure(Problem(message: "cannot read '\(path)': no such file"))
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            return .failure(Problem(message: "'\(path)' is not a regular file"))
        }
        guard let size = attributes[.size] as? Int, size <= maximumSize else {
            return .failure(Problem(message: "'\(path)' is larger than \(maximumSize >> 20) MB"))
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            return .failure(Problem(message: "cannot read '\(path)' as UTF-8 text"))
        }
        return parse(text, name: path)
    }

    static func parse(_ text: String, name: String) -> Result<[DeviceID: DeviceKey], Problem> {
        var keys: [DeviceID: DeviceKey] = [:]
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { continue }
            let place = "\(name):\(offset + 1)"
            let parts = trimmed.split(separator: ",", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else {
                return .failure(Problem(message: "\(place): expected 'device-id,base64-key'"))
            }
            let id: DeviceID
            do {
                id = try DeviceID(parts[0])
            } catch {
                return .failure(Problem(message: "\(place): \(error)"))
            }
            guard keys[id] == nil else {
                return .failure(Problem(message: "\(place): device '\(id)' is listed twice"))
            }
            do {
                keys[id] = try DeviceKey(base64: parts[1])
            } catch {
                // The key itself is never shown.
                return .failure(Problem(message: "\(place): the key of device '\(id)' is not base64"))
            }
        }
        return .success(keys)
    }
}
