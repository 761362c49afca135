import Foundation

/// A JUnit XML report: one ``JUnitTestSuite`` per scenario and target.
///
/// Shaped after the strict Apache Ant JUnit schema that Jenkins, GitLab and GitHub reporters
/// read: suites carry properties, system-out and system-err; test cases carry at most one of
/// failure, error or skipped.
public struct JUnitReport: Sendable, Hashable {
    public var suites: [JUnitTestSuite]

    public init(suites: [JUnitTestSuite] = []) {
        self.suites = suites
    }

    public var testCount: Int { suites.reduce(0) { $0 + $1.testCases.count } }
    public var failureCount: Int { suites.reduce(0) { $0 + $1.failureCount } }
    public var errorCount: Int { suites.reduce(0) { $0 + $1.errorCount } }
}

/// One test suite: a scenario run against one target.
public struct JUnitTestSuite: Sendable, Hashable {
    public var name: String
    /// The `package` attribute; the writer falls back to ``name`` when empty.
    public var package: String
    /// When the suite started.
    public var timestamp: Date
    public var hostname: String
    /// Duration in seconds.
    public var time: Double
    /// Name/value pairs, kept in order (latencies, round trips, counts).
    public var properties: [JUnitProperty]
    public var testCases: [JUnitTestCase]
    public var systemOut: String
    public var systemErr: String

    public init(
        name: String,
        package: String = "",
        timestamp: Date,
        hostname: String = "localhost",
        time: Double,
        properties: [JUnitProperty] = [],
        testCases: [JUnitTestCase] = [],
        systemOut: String = "",
        systemErr: String = ""
    ) {
        self.name = name
        self.package = package
        self.timestamp = timestamp
        self.hostname = hostname
        self.time = time
        self.properties = properties
        self.testCases = testCases
        self.systemOut = systemOut
        self.systemErr = systemErr
    }

    public var failureCount: Int { testCases.filter { if case .failed = $0.outcome { true } else { false } }.count }
    public var errorCount: Int { testCases.filter { if case .errored = $0.outcome { true } else { false } }.count }
    public var skippedCount: Int { testCases.filter { if case .skipped = $0.outcome { true } else { false } }.count }
}

/// One `<property name= value=>`.
public struct JUnitProperty: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// One test case: a scenario step.
public struct JUnitTestCase: Sendable, Hashable {
    /// How a test case ended.
    public enum Outcome: Sendable, Hashable {
        case passed
        /// An expectation did not hold: `message` is one line, `details` the full story.
        case failed(message: String, type: String, details: String)
        /// The step could not be carried out (the harness or environment failed).
        case errored(message: String, type: String, details: String)
        case skipped(message: String)
    }

    public var name: String
    public var classname: String
    /// Duration in seconds.
    public var time: Double
    public var outcome: Outcome

    public init(name: String, classname: String, time: Double, outcome: Outcome = .passed) {
        self.name = name
        self.classname = classname
        self.time = time
        self.outcome = outcome
    }
}
