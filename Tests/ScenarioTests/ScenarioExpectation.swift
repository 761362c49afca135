@testable import Scenario

/// The scenario model's `Expectation`, named without the clash with Swift Testing's type of
/// the same name (this file does not import Testing).
typealias ScenarioExpectation = Expectation
