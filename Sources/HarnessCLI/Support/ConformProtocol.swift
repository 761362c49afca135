import Scenario

/// `harness conform --protocol`: which standard's pack (or both) a run judges the broker by.
enum ConformProtocol: String, CaseIterable {
    case mqtt311 = "3.1.1"
    case mqtt5 = "5"
    case all

    /// The values `--protocol` takes, as help and errors list them.
    static let spellings = "3.1.1, 5 or all"

    /// Reads a `--protocol` value: `3.1.1` (or `4`, its protocol level), `5` (or `5.0`), `all`.
    init?(argument: String) {
        switch argument.lowercased() {
        case "3.1.1", "4": self = .mqtt311
        case "5", "5.0": self = .mqtt5
        case "all": self = .all
        default: return nil
        }
    }

    /// One shipped pack: the standard it checks and its folder, relative to the repository root.
    struct Pack {
        var standard: NormativeStatements
        var folder: String
    }

    /// The shipped packs, in the order `all` runs them.
    static let shippedPacks = [
        Pack(standard: .mqtt311, folder: "scenarios/conformance/mqtt-3.1.1"),
        Pack(standard: .mqtt5, folder: "scenarios/conformance/mqtt-5.0"),
    ]

    /// The packs this choice runs; `folder` replaces the shipped one of a single standard.
    func packs(folder: String?) -> [Pack] {
        switch self {
        case .mqtt311: [Pack(standard: .mqtt311, folder: folder ?? Self.shippedPacks[0].folder)]
        case .mqtt5: [Pack(standard: .mqtt5, folder: folder ?? Self.shippedPacks[1].folder)]
        case .all: Self.shippedPacks
        }
    }
}
