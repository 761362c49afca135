import IoTHubCore
import MQTTCore

/// The life of one service HTTP connection as a pure state machine: when a request must have
/// arrived, when a body is too large, when to close. The HTTP handler feeds it the parts the
/// HTTP decoder produces and the time, and carries out the ``Action``s; it decides nothing.
package struct ServiceConnectionMachine {
    package enum State: Equatable {
        /// Waiting for a request head, until `deadline` (nanoseconds on the handler's clock).
        case awaitingRequest(deadline: Int64)
        /// A head arrived; its body (`received` bytes so far) must be complete by `deadline`.
        case receivingBody(received: Int, deadline: Int64)
        /// A whole request is with the API; no deadline while the server works.
        case answering
        /// The connection is being closed; nothing more happens.
        case closing
    }

    package enum Action: Equatable {
        /// Nothing to do.
        case none
        /// Arrange for ``timerFired(at:)`` at `deadline` (replacing any earlier one).
        case armTimer(deadline: Int64)
        /// Pass the request to the API; cancel the timer.
        case answerRequest
        /// Write this error response with `Connection: close`, then close.
        case refuse(IoTHubErrorCode, message: String)
        /// Close without a response.
        case close
    }

    package let limits: ServiceHTTPLimits
    package private(set) var state: State

    /// A connection opened at `now`.
    package init(limits: ServiceHTTPLimits, openedAt now: Int64) {
        self.limits = limits
        state = .awaitingRequest(deadline: now + limits.requestTimeout.nanoseconds)
    }

    /// The deadline to arm when the connection opens.
    package var initialAction: Action {
        if case .awaitingRequest(let deadline) = state { return .armTimer(deadline: deadline) }
        return .none
    }

    /// A request head arrived, announcing `contentLength` body bytes (`nil`: chunked or none).
    package mutating func headReceived(contentLength: Int?) -> Action {
        guard case .awaitingRequest(let deadline) = state else {
            // A pipelined request while the previous one is answered: HTTP/1.1 allows it, but
            // this server answers one at a time, so it closes rather than queueing.
            return close()
        }
        if let contentLength, contentLength > limits.maximumBodySize {
            return refuse(.messageTooLarge, "the request body of \(contentLength) bytes exceeds \(limits.maximumBodySize) bytes")
        }
        state = .receivingBody(received: 0, deadline: deadline)
        return .none
    }

    /// Body bytes arrived.
    package mutating func bodyReceived(byteCount: Int) -> Action {
        guard case .receivingBody(let received, let deadline) = state else { return .none }
        let total = received + byteCount
        guard total <= limits.maximumBodySize else {
            return refuse(.messageTooLarge, "the request body exceeds \(limits.maximumBodySize) bytes")
        }
        state = .receivingBody(received: total, deadline: deadline)
        return .none
    }

    /// The request is complete.
    package mutating func requestEnded() -> Action {
        guard case .receivingBody = state else { return .none }
        state = .answering
        return .answerRequest
    }

    /// The response to the current request was written at `now`.
    package mutating func responseWritten(keepAlive: Bool, at now: Int64) -> Action {
        guard case .answering = state else { return .none }
        guard keepAlive else { return close() }
        let deadline = now + limits.requestTimeout.nanoseconds
        state = .awaitingRequest(deadline: deadline)
        return .armTimer(deadline: deadline)
    }

    /// The timer armed last went off at `now`.
    package mutating func timerFired(at now: Int64) -> Action {
        switch state {
        case .awaitingRequest(let deadline):
            guard now >= deadline else { return .armTimer(deadline: deadline) }
            return close()
        case .receivingBody(_, let deadline):
            guard now >= deadline else { return .armTimer(deadline: deadline) }
            return refuse(.requestTimeout, "the request did not arrive whole within \(limits.requestTimeout)")
        case .answering, .closing:
            return .none
        }
    }

    /// The bytes are not HTTP/1.1.
    package mutating func malformed() -> Action {
        switch state {
        case .awaitingRequest, .receivingBody: refuse(.badRequest, "the request is not valid HTTP/1.1")
        // Mid-answer the response cannot be replaced by an error: just close.
        case .answering: close()
        case .closing: .none
        }
    }

    private mutating func refuse(_ code: IoTHubErrorCode, _ message: String) -> Action {
        state = .closing
        return .refuse(code, message: message)
    }

    private mutating func close() -> Action {
        state = .closing
        return .close
    }
}
