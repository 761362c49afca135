import Foundation
import HarnessTestSupport
import Testing

/// The boundaries of the package's modules, checked on the sources: the pure modules open no
/// sockets and use no TLS, and only the simulated back end of a scenario run knows the
/// simulated hub.
@Suite struct ArchitectureTests {
    /// Modules that hold protocol logic only: events and the time in, actions out.
    static let pureModules = ["MQTTCore", "MQTTClientCore", "IoTHubCore", "IoTHubSimulationCore"]
    /// What a pure module may import. X509 and SwiftASN1 parse and check certificates in
    /// memory (X.509 device authentication), with no socket or TLS.
    static let allowedInPureModules: Set<String> = [
        "Foundation", "Synchronization", "Crypto", "NIOCore", "MQTTCore", "MQTTClientCore", "IoTHubCore", "IoTHubSimulationCore",
        "X509", "SwiftASN1",
    ]

    static func imports(in folder: String) throws -> [(file: String, module: String)] {
        let root = Repository.root.appendingPathComponent(folder).path
        let files = (FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []).filter { $0.hasSuffix(".swift") }
        var found: [(String, String)] = []
        for file in files {
            let text = try String(contentsOfFile: "\(root)/\(file)", encoding: .utf8)
            for line in text.split(separator: "\n") {
                let words = line.split(separator: " ")
                guard let index = words.firstIndex(of: "import"), index + 1 < words.count, words[..<index].allSatisfy({ $0.hasPrefix("@") || $0 == "public" || $0 == "package" }) else { continue }
                found.append(("\(folder)/\(file)", String(words[index + 1])))
            }
        }
        return found
    }

    @Test("the pure modules import no socket, TLS or HTTP module", arguments: ArchitectureTests.pureModules)
    func pure(module: String) throws {
        let imports = try Self.imports(in: "Sources/\(module)")
        #expect(!imports.isEmpty)
        for (file, imported) in imports {
            #expect(Self.allowedInPureModules.contains(imported), "\(file) imports \(imported)")
        }
    }

    @Test("in Scenario only the simulated back end imports the simulated hub")
    func scenarioKnowsTheHubOnlyThroughItsBackEnd() throws {
        let files = try Self.imports(in: "Sources/Scenario").filter { $0.module.hasPrefix("IoTHubSimulation") }.map(\.file)
        #expect(Set(files).allSatisfy { $0.hasPrefix("Sources/Scenario/Running/Backends/SimulatedBackend") }, "\(Set(files).sorted())")
    }

    @Test("reports read the record and the results, never the runner")
    func reportsDoNotReachIntoTheRunner() throws {
        let root = Repository.root.appendingPathComponent("Sources/Scenario/Reports").path
        let runnerTypes = ["RunSession", "ScenarioRunner", "ExpectationEvaluator", "SubjectMatcher", "ObservationSummary", "StepContext"]
        for file in try FileManager.default.contentsOfDirectory(atPath: root) where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: "\(root)/\(file)", encoding: .utf8)
            for type in runnerTypes { #expect(!text.contains(type), "Reports/\(file) uses \(type)") }
        }
    }
}
