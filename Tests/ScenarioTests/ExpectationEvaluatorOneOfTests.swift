import Devices
import HarnessTestSupport
import IoTHubCore
import NIOCore
@testable import Scenario
import Testing

/// `one_of` and `bytes` decided on a hand-made record: which branch was observed first, and
/// bytes that no branch allows. No sockets, no waiting: every deadline has passed.
@Suite struct ExpectationEvaluatorOneOfTests {
    typealias Branch = ScenarioExpectation.Alternative

    let device: DeviceID

    init() throws { device = try DeviceID("raw") }

    /// A record with these events at times 100, 200, ... (the clock is far past them).
    func record(_ events: [RunEvent]) -> RunRecord {
        let record = RunRecord(clock: ManualMonotonicClock(start: 10_000_000_000))
        for (offset, event) in events.enumerated() { record.append(event, at: UInt64(100 * (offset + 1))) }
        return record
    }

    func bytes(_ hex: String) throws -> RunEvent {
        .device(device, .bytesReceived(ByteBuffer(bytes: try HexBytes(parsing: hex).bytes)))
    }

    var closed: RunEvent { .device(device, .disconnected(reason: "closed by the peer")) }

    func evaluate(_ branches: [Branch], on record: RunRecord) async -> ExpectationEvaluator.Evaluation {
        let expectation = ScenarioExpectation(subject: .oneOf(branches), deadline: .within(.milliseconds(1)))
        return await ExpectationEvaluator(record: record).evaluate(expectation, device: device, cause: Cause(step: StepNumber(1), time: 0, index: 0))
    }

    @Test("one_of: the branch observed first in the record decides, whichever branch is listed first and however the waits end")
    func earliestObservationDecides() async throws {
        let accepted = Branch(subject: .bytes(try HexBytes(parsing: "20 02 00 00"), exact: false), notApplicable: "the broker accepts it")
        let close = Branch(subject: .disconnected(true, reason: nil))
        let acceptedThenClosed = record([try bytes("20 02 00 00"), closed])
        // Both branches hold; the CONNACK came first. Repeated: the branches run concurrently.
        for _ in 0..<20 {
            #expect(await evaluate([close, accepted], on: acceptedThenClosed).status == .notApplicable(reason: "the broker accepts it"))
            #expect(await evaluate([accepted, close], on: acceptedThenClosed).status == .notApplicable(reason: "the broker accepts it"))
        }
        // A close with no bytes before it: the close decides.
        let closedAtOnce = await evaluate([accepted, close], on: record([closed]))
        #expect(closedAtOnce.status == .passed)
        #expect(closedAtOnce.matchIndex == 0)
    }

    @Test("one_of: bytes that no bytes branch allows, before the winning observation, fail the step instead of counting as the close after them")
    func bytesNoBranchAllows() async throws {
        let accepted = Branch(subject: .bytes(try HexBytes(parsing: "20 02 00 00"), exact: false), notApplicable: "accepted")
        let refused = Branch(subject: .bytes(try HexBytes(parsing: "20 02 00 01"), exact: false))
        let close = Branch(subject: .disconnected(true, reason: nil))
        // CONNACK 5 (not authorized), then a close: not "a close".
        let other = await evaluate([accepted, refused, close], on: record([try bytes("20 02 00 05"), closed]))
        guard case .failed(let failure) = other.status else {
            Issue.record("not failed: \(other.status)")
            return
        }
        #expect(failure.observed == "received 20 02 00 05, which no branch allows (before disconnected was observed)", "\(failure)")
        // The same bytes in two pieces: decided at the first wrong byte.
        let pieces = await evaluate([accepted, refused, close], on: record([try bytes("20 02"), try bytes("00 05"), closed]))
        #expect(pieces.status.isFailure)
        // The beginning of an allowed answer, then a close: the close is what happened.
        let cut = await evaluate([accepted, refused, close], on: record([try bytes("20 02"), closed]))
        #expect(cut.status == .passed)
        // Without a close, disallowed bytes fail, each branch saying what it saw; a fallback
        // branch for "none of these" is for a peer that sent nothing, not other bytes.
        let nothingCame = Branch(subject: nil, notApplicable: "nothing came")
        let noClose = await evaluate([accepted, refused, nothingCame], on: record([try bytes("20 02 00 05")]))
        guard case .failed(let alone) = noClose.status else {
            Issue.record("not failed: \(noClose.status)")
            return
        }
        #expect(alone.observed == "bytes 20 02 00 00: received 20 02 00 05; bytes 20 02 00 01: received 20 02 00 05", "\(alone)")
        #expect(await evaluate([accepted, refused, nothingCame], on: record([])).status == .notApplicable(reason: "nothing came"))
        // An allowed answer still passes.
        #expect(await evaluate([accepted, refused, close], on: record([try bytes("20 02 00 01"), closed])).status == .passed)
    }

    @Test("one_of over the orders of three PUBACKs: any order passes, a repeated or missing one fails")
    func pubacksInAnyOrder() async throws {
        let ids = ["01", "02", "03"]
        let orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]
        let branches = try orders.map { order in
            Branch(subject: .bytes(try HexBytes(parsing: order.map { "40 02 00 \(ids[$0])" }.joined(separator: " ")), exact: false))
        }
        let reversed = await evaluate(branches, on: record([try bytes("40 02 00 03"), try bytes("40 02 00 02 40 02 00 01")]))
        #expect(reversed.status == .passed)
        let repeated = await evaluate(branches, on: record([try bytes("40 02 00 01 40 02 00 01 40 02 00 03")]))
        #expect(repeated.status.isFailure)
        let missing = await evaluate(branches, on: record([try bytes("40 02 00 01 40 02 00 02")]))
        #expect(missing.status.isFailure)
    }

    @Test("bytes: decided at the first wrong byte, with the place it arrived; a close after a beginning of them is no contradiction")
    func bytesDecidedAtTheFirstWrongByte() async throws {
        let expectation = ScenarioExpectation(subject: .bytes(try HexBytes(parsing: "40 02 00 01 40 02 00 02"), exact: false), deadline: .within(.milliseconds(1)))
        let cause = Cause(step: StepNumber(1), time: 0, index: 0)
        let wrong = await ExpectationEvaluator(record: record([try bytes("50 02 00 01")])).evaluate(expectation, device: device, cause: cause)
        guard case .failed(let failure) = wrong.status else {
            Issue.record("not failed: \(wrong.status)")
            return
        }
        #expect(failure.observed == "received 50 02 00 01")
        #expect(wrong.contradictedAt == 0)
        let cut = await ExpectationEvaluator(record: record([try bytes("40 02"), closed])).evaluate(expectation, device: device, cause: cause)
        guard case .failed(let closedEarly) = cut.status else {
            Issue.record("not failed: \(cut.status)")
            return
        }
        #expect(closedEarly.observed.hasPrefix("the connection closed after"))
        #expect(cut.contradictedAt == nil)
    }
}
