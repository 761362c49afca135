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
    public static func validate(fileAt path: String) throws {
        guard let schema = schemaPath else { throw ValidationError(description: "JUnit.xsd is missing from the test bundle") }
        let xmllint = ["/usr/bin/xmllint", "/bin/xmllint", "/usr/local/bin/xmllint"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let xmllint else {
            throw ValidationError(description: "xmllint is not installed (Debian package libxml2-utils); .ci/run installs it")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: xmllint)
        process.arguments = ["--noout", "--schema", schema, path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError(description: String(decoding: data, as: UTF8.self))
        }
    }

    /// Validates XML text.
    public static func validate(xml: String) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("junit-\(UUID().uuidString).xml").path
        try Data(xml.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        try validate(fileAt: path)
    }
}
