import Foundation

/// Validates JUnit XML against the strict Apache Ant JUnit schema with `xmllint` (Debian
/// package libxml2-utils). A missing `xmllint` is an error, never a skip: CI must have it.
public enum JUnitSchema {
    /// Why a document is not valid.
    public struct ValidationError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The schema file bundled with the test support.
    public static var schemaPath: String? {
        Bundle.module.url(forResource: "JUnit", withExtension: "xsd", subdirectory: "Resources")?.path
    }

    /// Validates the XML file at `path`.
    /// - Throws: ``ValidationError`` with xmllint's output.
    public static func validate(fileAt path: String) async throws {
        guard let schema = schemaPath else { throw ValidationError(description: "JUnit.xsd is missing from the test bundle") }
        let xmllint = ["/usr/bin/xmllint", "/bin/xmllint", "/usr/local/bin/xmllint"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let xmllint else {
            throw ValidationError(description: "xmllint is not installed (Debian package libxml2-utils); .ci/run installs it")
        }
        let output = try await ExternalTool.run(xmllint, ["--noout", "--schema", schema, path])
        guard output.status == 0 else {
            throw ValidationError(description: output.standardOutput + output.standardError)
        }
    }

    /// Validates XML text.
    public static func validate(xml: String) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("junit-\(UUID().uuidString).xml").path
        try Data(xml.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await validate(fileAt: path)
    }
}
