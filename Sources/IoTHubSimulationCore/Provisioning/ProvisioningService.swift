import IoTHubCore
import MQTTCore

/// The simulated Device Provisioning Service's logic, pure: registration requests are checked
/// against the enrollments, become operations that are `assigning` until
/// ``ProvisioningConfiguration/assignmentDelay`` has passed on the hub's clock, and then
/// assign the device to the hub, giving the record the hub's registry must hold. No clock is
/// read and nothing is random: operation and tracking ids come from a counter.
public struct ProvisioningService: Sendable {
    /// What one request leads to.
    public struct Outcome: Sendable, Hashable {
        /// The answer to publish to the device.
        public var response: ProvisioningResponse
        /// What to report.
        public var event: ProvisioningEvent?
        /// A device the hub's registry must now hold (added, or replaced when its keys changed).
        public var device: DeviceRecord?
    }

    struct Operation: Sendable {
        var registrationID: RegistrationID
        /// The enrollment's keys (symmetric key), or the key the hub keeps for an X.509
        /// device, never checked.
        var keys: [DeviceKey]
        /// How the device authenticates on the hub.
        var authentication: DeviceAuthentication
        var enrollment: String
        /// Whether the enrollment was enabled at the request: a disabled one ends `disabled`.
        var isEnabled: Bool
        var createdAt: HubTime
        var readyAt: HubTime
        /// The final answer's body, once the operation ended (later polls get the same).
        var result: JSONValue?
    }

    public let configuration: ProvisioningConfiguration
    /// The host name of the hub devices are assigned to.
    public let assignedHub: String
    var operations: [String: Operation] = [:]
    /// Each registration's latest operation: a new request replaces the older one, so a
    /// device that registers again and again holds one operation, not one per request.
    var latestOperation: [RegistrationID: String] = [:]
    var counter: UInt64 = 0

    public init(configuration: ProvisioningConfiguration, assignedHub: String) {
        self.configuration = configuration
        self.assignedHub = assignedHub
    }

    /// A registration request (`iotdps-register`) from the connection that connected as
    /// `registrationID` with `password`. The token is checked here, not at CONNECT, as the
    /// real service does (a bad token gets CONNACK 0, then 401 on the request).
    /// A device that presented a client certificate in the TLS handshake and sent no
    /// password attests with X.509 (`certificate`).
    public mutating func register(
        _ registrationID: RegistrationID,
        password: String?,
        certificate: ClientCertificateChain? = nil,
        body: [UInt8],
        requestID: String,
        tokenSkewSeconds: Int64,
        at now: HubTime
    ) -> Outcome {
        let trackingID = nextID()
        func refuse(_ status: Int, _ code: Int, _ message: String, _ reason: String) -> Outcome {
            Outcome(
                response: .error(status: status, code: code, message: message, requestID: requestID, trackingID: trackingID, now: now),
                event: .refused(registrationID, status: status, reason: reason)
            )
        }
        guard let json = try? JSONValue(parsing: body), json.objectValue != nil else {
            return refuse(400, 400004, "BadRequest", "the request body is not a JSON object")
        }
        if let named = json["registrationId"] {
            guard named.stringValue == registrationID.string else {
                return refuse(400, 400004, "BadRequest", "the body's registrationId is not the registration id of the CONNECT user name")
            }
        }
        var keys: [DeviceKey]
        var authentication = DeviceAuthentication.sharedAccessKey
        let enrollment: String
        let isEnabled: Bool
        if password == nil, let certificate {
            switch authenticate(registrationID, certificate: certificate, at: now) {
            case .failure(let reason):
                return refuse(401, 401002, "Unauthorized", reason.description)
            case .success(let match):
                (enrollment, isEnabled) = match
            }
            // The hub authenticates the device by this very certificate; its keys are never checked.
            authentication = .selfSigned(primary: certificate.thumbprint(.sha256), secondary: nil)
            keys = []
        } else {
            switch authenticate(registrationID, password: password, tokenSkewSeconds: tokenSkewSeconds, at: now) {
            case .failure(let reason):
                return refuse(401, 401002, "Unauthorized", reason.description)
            case .success(let match):
                (keys, enrollment, isEnabled) = match
            }
        }
        let operationID = "4.\(hex(counter &* 0x9E37_79B9_7F4A_7C15, digits: 16)).\(nextID())"
        if keys.isEmpty, let certificate {
            keys = [DeviceKey.derived(fromGroupKey: DeviceKey(bytes: certificate.leafDER), registrationID: operationID)]
        }
        if let previous = latestOperation.updateValue(operationID, forKey: registrationID) { operations[previous] = nil }
        operations[operationID] = Operation(
            registrationID: registrationID,
            keys: keys,
            authentication: authentication,
            enrollment: enrollment,
            isEnabled: isEnabled,
            createdAt: now,
            readyAt: now + configuration.assignmentDelay
        )
        return Outcome(
            response: ProvisioningResponse(
                status: 202,
                requestID: requestID,
                retryAfterSeconds: configuration.retryAfterSeconds,
                body: .object(["operationId": .string(operationID), "status": .string("assigning")])
            ),
            event: .registrationAccepted(registrationID, operationID: operationID, enrollment: enrollment)
        )
    }

    /// A status poll (`iotdps-get-operationstatus`). While the operation is assigning the
    /// answer is 202 with `retry-after`; then 200 with the registration state. An operation
    /// of another registration is unknown to this one (404).
    public mutating func operationStatus(
        _ registrationID: RegistrationID,
        operationID: String,
        requestID: String,
        registry: DeviceRegistry,
        at now: HubTime
    ) -> Outcome {
        guard var operation = operations[operationID], operation.registrationID == registrationID else {
            let trackingID = nextID()
            return Outcome(
                response: .error(status: 404, code: 404002, message: "Operation not found.", requestID: requestID, trackingID: trackingID, now: now),
                event: .refused(registrationID, status: 404, reason: "operation '\(PeerText.escaped(operationID, limit: 80))' is not one of this registration's")
            )
        }
        if let result = operation.result {
            return Outcome(response: ProvisioningResponse(status: 200, requestID: requestID, body: result))
        }
        guard now >= operation.readyAt else {
            return Outcome(
                response: ProvisioningResponse(
                    status: 202,
                    requestID: requestID,
                    retryAfterSeconds: configuration.retryAfterSeconds,
                    body: .object(["operationId": .string(operationID), "status": .string("assigning")])
                )
            )
        }
        var state: [String: JSONValue] = [
            "registrationId": .string(registrationID.string),
            "createdDateTimeUtc": .string(operation.createdAt.iso8601),
            "lastUpdatedDateTimeUtc": .string(now.iso8601),
        ]
        let outcome: (status: String, event: ProvisioningEvent, device: DeviceRecord?)
        let assigned = operation.isEnabled ? assignment(of: operation, registry: registry) : .failure(Refusal("the \(operation.enrollment) is disabled"))
        switch assigned {
        case .failure where !operation.isEnabled:
            // Assigning, then `disabled` at the status poll, as the Java SDK's fix for it reads
            // the service (Azure/azure-iot-sdk-java#1640); the error fields are unconfirmed.
            state["status"] = .string("disabled")
            state["errorMessage"] = .string("The enrollment is disabled.")
            outcome = ("disabled", .disabled(registrationID, operationID: operationID, enrollment: operation.enrollment), nil)
        case .failure(let refusal):
            let reason = refusal.description
            state["status"] = .string("failed")
            state["errorCode"] = .integer(409_201)
            state["errorMessage"] = .string(reason)
            outcome = ("failed", .failed(registrationID, operationID: operationID, reason: reason), nil)
        case .success(let (deviceID, device)):
            state["status"] = .string("assigned")
            state["substatus"] = .string("initialAssignment")
            state["assignedHub"] = .string(assignedHub)
            state["deviceId"] = .string(deviceID.string)
            state["etag"] = .string("\"\(hex(counter, digits: 8))\"")
            outcome = ("assigned", .assigned(registrationID, deviceID: deviceID, assignedHub: assignedHub, operationID: operationID), device)
        }
        let body = JSONValue.object([
            "operationId": .string(operationID),
            "status": .string(outcome.status),
            "registrationState": .object(state),
        ])
        operation.result = body
        operations[operationID] = operation
        return Outcome(response: ProvisioningResponse(status: 200, requestID: requestID, body: body), event: outcome.event, device: outcome.device)
    }

    /// The device the operation assigns: new, or already on the hub with the same key (a
    /// device that registers again). One registered with other credentials is not replaced.
    private func assignment(of operation: Operation, registry: DeviceRegistry) -> Result<(DeviceID, DeviceRecord?), Refusal> {
        guard let deviceID = operation.registrationID.deviceID, let primary = operation.keys.first else {
            return .failure(Refusal("registration id '\(operation.registrationID)' cannot be a device id"))
        }
        guard let existing = registry[deviceID] else {
            let record = DeviceRecord(id: deviceID, primaryKey: primary, secondaryKey: operation.keys.dropFirst().first, authentication: operation.authentication)
            return .success((deviceID, record))
        }
        let same = operation.authentication.usesCertificate
            ? existing.authentication == operation.authentication
            : !existing.authentication.usesCertificate && existing.primaryKey == primary
        guard same else {
            return .failure(Refusal("device '\(deviceID)' already exists on the hub with other credentials"))
        }
        return .success((deviceID, nil))
    }

    /// The enrollment that vouches for the client certificate (an X.509 individual enrollment
    /// by thumbprint, or an X.509 group by its CA), or why none does. The certificate's common
    /// name must be the registration id, as the service documents.
    private func authenticate(_ registrationID: RegistrationID, certificate: ClientCertificateChain, at now: HubTime) -> Result<(String, Bool), Refusal> {
        guard let name = certificate.commonName, name == registrationID.string else {
            let shown = certificate.commonName.map { "'\(PeerText.escaped($0, limit: 64))'" } ?? "none"
            return .failure(Refusal("the certificate's common name (\(shown)) is not the registration id '\(registrationID)'"))
        }
        guard let deviceID = registrationID.deviceID else {
            return .failure(Refusal("registration id '\(registrationID)' cannot be a device id"))
        }
        let placeholder = DeviceKey(bytes: certificate.leafDER)
        if let individual = configuration.x509IndividualEnrollments.first(where: { $0.registrationID == registrationID }) {
            let device = DeviceRecord(id: deviceID, primaryKey: placeholder, secondaryKey: placeholder, authentication: .selfSigned(primary: individual.primary, secondary: individual.secondary))
            if let refusal = CertificateAuthentication.refusal(for: device, presenting: certificate, authorities: [:], now: now) {
                return .failure(Refusal("\(refusal) (X.509 individual enrollment)"))
            }
            return .success(("X.509 individual enrollment", individual.isEnabled))
        }
        guard !configuration.x509GroupEnrollments.isEmpty else {
            return .failure(Refusal("no X.509 enrollment for registration id '\(registrationID)' and no X.509 enrollment group"))
        }
        var last = ""
        for group in configuration.x509GroupEnrollments {
            let device = DeviceRecord(id: deviceID, primaryKey: placeholder, secondaryKey: placeholder, authentication: .certificateAuthority)
            guard let refusal = CertificateAuthentication.refusal(for: device, presenting: certificate, authorities: [group.authority.name: group.authority], now: now) else {
                return .success(("X.509 enrollment group '\(group.name)'", group.isEnabled))
            }
            last = refusal
        }
        return .failure(Refusal("\(last) (checked against \(configuration.x509GroupEnrollments.count) X.509 enrollment group(s))"))
    }

    /// The keys the registration's token must be signed with, and the enrollment they come
    /// from, or why the token is refused.
    private func authenticate(
        _ registrationID: RegistrationID,
        password: String?,
        tokenSkewSeconds: Int64,
        at now: HubTime
    ) -> Result<([DeviceKey], String, Bool), Refusal> {
        guard let password else { return .failure(Refusal("CONNECT had no password (a SAS token)")) }
        let token: SASToken
        do {
            token = try SASToken(parsing: password)
        } catch {
            return .failure(Refusal("\(error)"))
        }
        if let policy = token.policyName, policy != "registration" {
            return .failure(Refusal("SAS token names policy '\(PeerText.escaped(policy, limit: 40))'; a registration token has skn=registration or none"))
        }
        var candidates: [([DeviceKey], String, Bool)] = []
        if let individual = configuration.individualEnrollments.first(where: { $0.registrationID == registrationID }) {
            candidates = [(individual.keys, "individual enrollment", individual.isEnabled)]
        } else {
            candidates = configuration.groupEnrollments.map { ($0.deviceKeys(for: registrationID), "enrollment group '\($0.name)'", $0.isEnabled) }
        }
        guard !candidates.isEmpty else {
            return .failure(Refusal("no enrollment for registration id '\(registrationID)' and no enrollment group"))
        }
        let target = "\(configuration.idScope)/registrations/\(registrationID)"
        var lastError = ""
        for (keys, enrollment, isEnabled) in candidates {
            do {
                try token.verify(keys: keys, target: target, now: now.unixSeconds, allowingSkew: tokenSkewSeconds)
                return .success((keys, enrollment, isEnabled))
            } catch {
                lastError = "\(error)"
            }
        }
        let enrollments = candidates.count == 1 ? candidates[0].1 : "\(candidates.count) enrollment groups"
        return .failure(Refusal("\(lastError) (checked against \(enrollments))"))
    }

    private mutating func nextID() -> String {
        counter += 1
        let n = counter
        return "\(hex(n >> 32, digits: 8))-0000-4000-8000-\(hex(n & 0xFFFF_FFFF, digits: 12))"
    }

    private func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    struct Refusal: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
