import HarnessTestSupport
import IoTHubCore
@testable import IoTHubSimulationCore
import Testing

/// The life of one service HTTP connection, decided without sockets: deadlines, sizes, closing.
@Suite struct ServiceConnectionMachineTests {
    static let limits = ServiceHTTPLimits(requestTimeout: .seconds(10), maximumBodySize: 1000, maximumConnections: 128)
    static let second: Int64 = 1_000_000_000

    @Test("a request must arrive whole within the timeout of the connection's start, or of the previous response")
    func requestDeadline() {
        var machine = ServiceConnectionMachine(limits: Self.limits, openedAt: 0)
        #expect(machine.initialAction == .armTimer(deadline: 10 * Self.second))
        // Early wake-ups re-arm.
        #expect(machine.timerFired(at: 5 * Self.second) == .armTimer(deadline: 10 * Self.second))
        #expect(machine.headReceived(contentLength: 10) == .none)
        #expect(machine.bodyReceived(byteCount: 10) == .none)
        #expect(machine.requestEnded() == .answerRequest)
        // No deadline while the API answers.
        #expect(machine.timerFired(at: 60 * Self.second) == .none)
        #expect(machine.responseWritten(keepAlive: true, at: 61 * Self.second) == .armTimer(deadline: 71 * Self.second))
        #expect(machine.timerFired(at: 71 * Self.second) == .close)
    }

    @Test("nothing, or partial headers, by the deadline: closed without an answer")
    func idleClose() {
        var machine = ServiceConnectionMachine(limits: Self.limits, openedAt: 0)
        #expect(machine.timerFired(at: 10 * Self.second) == .close)
        #expect(machine.headReceived(contentLength: nil) == .close)
    }

    @Test("a body that does not arrive by the deadline gets 408")
    func slowBody() {
        var machine = ServiceConnectionMachine(limits: Self.limits, openedAt: 0)
        _ = machine.headReceived(contentLength: 100)
        _ = machine.bodyReceived(byteCount: 3)
        guard case .refuse(let code, _) = machine.timerFired(at: 10 * Self.second) else {
            Issue.record("not refused")
            return
        }
        #expect(code == .requestTimeout && code.httpStatus == 408)
    }

    @Test("a Content-Length above the limit gets 413 from the head; a chunked body when it passes the limit")
    func tooLarge() {
        var machine = ServiceConnectionMachine(limits: Self.limits, openedAt: 0)
        guard case .refuse(.messageTooLarge, _) = machine.headReceived(contentLength: 1_000_000_000_000) else {
            Issue.record("not refused from the head")
            return
        }
        var chunked = ServiceConnectionMachine(limits: Self.limits, openedAt: 0)
        #expect(chunked.headReceived(contentLength: nil) == .none)
        #expect(chunked.bodyReceived(byteCount: 1000) == .none)
        guard case .refuse(.messageTooLarge, _) = chunked.bodyReceived(byteCount: 1) else {
            Issue.record("not refused past the limit")
            return
        }
    }

    @Test("malformed bytes: 400 and close before an answer, a plain close during one; no keep-alive: close after the response")
    func malformedAndClose() {
        var machine = ServiceConnectionMachine(limits: Self.limits, openedAt: 0)
        guard case .refuse(.badRequest, _) = machine.malformed() else {
            Issue.record("not 400")
            return
        }
        var answering = ServiceConnectionMachine(limits: Self.limits, openedAt: 0)
        _ = answering.headReceived(contentLength: nil)
        _ = answering.requestEnded()
        #expect(answering.malformed() == .close)
        var once = ServiceConnectionMachine(limits: Self.limits, openedAt: 0)
        _ = once.headReceived(contentLength: nil)
        _ = once.requestEnded()
        #expect(once.responseWritten(keepAlive: false, at: 0) == .close)
    }
}
