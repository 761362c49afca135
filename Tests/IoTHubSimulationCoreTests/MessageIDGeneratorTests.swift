import Foundation
@testable import IoTHubSimulationCore
import Testing

@Suite struct MessageIDGeneratorTests {
    @Test("message ids are version-4 UUID text, lower case, and do not repeat")
    func format() throws {
        var generator = MessageIDGenerator()
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let id = generator.make()
            let uuid = try #require(UUID(uuidString: id), "\(id)")
            #expect(uuid.uuidString.lowercased() == id)
            let characters = Array(id)
            #expect(characters[14] == "4")
            #expect("89ab".contains(characters[19]))
            seen.insert(id)
        }
        #expect(seen.count == 10_000)
    }
}
