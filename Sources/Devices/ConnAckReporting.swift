import MQTTCore

/// How a connect ended, with the CONNACK's return code when one arrived.
public struct ConnectAnswer: Sendable, Hashable {
    /// The outcome as ``Device/connect(_:)`` reports it.
    public var outcome: OperationOutcome
    /// The code of the CONNACK that answered; `nil` when none arrived.
    public var returnCode: ConnectReturnCode?

    public init(outcome: OperationOutcome, returnCode: ConnectReturnCode?) {
        self.outcome = outcome
        self.returnCode = returnCode
    }
}

/// A device whose connect can say which CONNACK answered it: the devices on the harness's
/// client engine (simulated profiles and generic clients). A fleet counts a member connected
/// only on CONNACK 0.
public protocol ConnAckReporting: Device {
    /// Connects exactly as ``Device/connect(_:)`` does, and returns the CONNACK's code too.
    func connectReportingConnAck(_ request: ConnectRequest) async throws -> ConnectAnswer
}
