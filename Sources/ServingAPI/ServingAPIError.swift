import JSONValue

/// One thing wrong with an object, naming the field (`spec.model.uri`).
public struct FieldError: Sendable, Hashable, CustomStringConvertible {
    public enum Reason: String, Sendable, Hashable {
        case invalidName = "InvalidName"
        case unsupportedModelURI = "UnsupportedModelURI"
        case invalidModelURI = "InvalidModelURI"
        case invalidPromQLTemplate = "InvalidPromQLTemplate"
        case outOfRange = "OutOfRange"
        case inconsistent = "Inconsistent"
        case invalidValue = "InvalidValue"
        case required = "Required"
    }
    public let field: String
    public let reason: Reason
    public let message: String

    public init(field: String, reason: Reason, message: String) {
        self.field = field
        self.reason = reason
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

/// The one error type of this module.
public enum ServingAPIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The object does not decode (wrong type, missing required field); the message names the field.
    case malformed(String)
    /// The object decodes but some fields are invalid.
    case invalid([FieldError])

    public var description: String {
        switch self {
        case .malformed(let message): return "malformed InferenceService: \(message)"
        case .invalid(let errors): return "invalid InferenceService: " + errors.map(\.description).joined(separator: "; ")
        }
    }

    /// The CamelCase reason for the `Ready=False` condition.
    public var conditionReason: String {
        switch self {
        case .malformed: return "MalformedSpec"
        case .invalid(let errors):
            // One specific reason when all errors agree, else the general one.
            let reasons = Set(errors.map(\.reason))
            return reasons.count == 1 ? (reasons.first?.rawValue ?? "InvalidSpec") : "InvalidSpec"
        }
    }

    /// `Ready=False` with a reason and a message naming the fields; the
    /// operator sets it and leaves existing Deployments unchanged.
    public func readyCondition(observedGeneration: Int64?, now: String) -> Condition {
        Condition(
            type: ConditionType.ready.rawValue, status: .false, observedGeneration: observedGeneration,
            lastTransitionTime: now, reason: conditionReason, message: description)
    }
}

extension InferenceService {
    /// Decodes an object as read from the API server and validates it.
    public static func decodeValidated(_ object: JSON) throws(ServingAPIError) -> InferenceService {
        let service: InferenceService
        do {
            service = try object.decode(InferenceService.self)
        } catch {
            throw .malformed(error.description)
        }
        let errors = InferenceServiceValidator.validate(service)
        if !errors.isEmpty { throw .invalid(errors) }
        return service
    }
}
