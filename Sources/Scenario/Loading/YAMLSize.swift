import Yams

/// How many values a YAML document holds once its aliases are expanded. A few lines of
/// anchors and aliases can name a billion values ("billion laughs"); everything that walks a
/// document (the loader, the schema check) first makes sure it is not one of those.
enum YAMLSize {
    /// The most values a scenario file may expand to: far beyond any real scenario.
    static let maximumValues = 1_000_000

    /// Whether `node` expands to more than `limit` values; the walk stops at the limit.
    static func exceeds(_ node: Node, limit: Int = maximumValues) -> Bool {
        var count = 0
        var pending: [Node] = [node]
        while let next = pending.popLast() {
            count += 1
            if count > limit { return true }
            switch next {
            case .mapping(let mapping):
                for (key, value) in mapping {
                    pending.append(key)
                    pending.append(value)
                }
            case .sequence(let sequence):
                pending.append(contentsOf: sequence)
            default:
                break
            }
        }
        return false
    }

    /// The diagnostic for a file that expands too far.
    static func diagnostic(path: String) -> ScenarioDiagnostic {
        ScenarioDiagnostic(
            location: SourceLocation(file: path, line: 1, column: 1),
            message: "the file expands to more than \(maximumValues) YAML values (each use of an alias counts); it cannot be a scenario"
        )
    }
}
