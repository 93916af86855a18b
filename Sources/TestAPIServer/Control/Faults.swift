import NIOConcurrencyHelpers

/// Injected failures: the next N API requests (optionally only of one verb)
/// fail with 500 or 429 + Retry-After, and a fixed latency before answers.
public final class Faults: Sendable {
    struct Failure: Sendable {
        var remaining: Int
        var code: Int
        var retryAfter: Int
        var verb: String?
        var resource: String?
    }

    private struct State: Sendable {
        var failures: [Failure] = []
        var latencyMilliseconds = 0
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    /// Fails the next `count` requests with `code` (500 InternalError, or 429
    /// TooManyRequests with `Retry-After`), optionally only those of `verb`
    /// and/or `resource` (plural, or "plural/subresource" such as
    /// "inferenceservices/status").
    public func failNext(_ count: Int, code: Int = 500, retryAfter: Int = 1, verb: String? = nil, resource: String? = nil) {
        state.withLockedValue {
            $0.failures.append(Failure(remaining: count, code: code, retryAfter: retryAfter, verb: verb, resource: resource))
        }
    }

    public var latencyMilliseconds: Int {
        get { state.withLockedValue { $0.latencyMilliseconds } }
        set { state.withLockedValue { $0.latencyMilliseconds = max(0, newValue) } }
    }

    public func clear() { state.withLockedValue { $0 = State() } }

    /// The injected error for this request, if one is due (consumes it).
    func failure(for verb: String, resource: String) -> APIError? {
        state.withLockedValue { s in
            guard let i = s.failures.firstIndex(where: {
                $0.remaining > 0 && ($0.verb == nil || $0.verb == verb) && ($0.resource == nil || $0.resource == resource)
            }) else { return nil }
            s.failures[i].remaining -= 1
            let failure = s.failures[i]
            if failure.remaining == 0 { s.failures.remove(at: i) }
            if failure.code == 429 { return APIError.tooManyRequests(retryAfter: failure.retryAfter) }
            return APIError(code: failure.code, reason: failure.code == 503 ? "ServiceUnavailable" : "InternalError",
                            message: "Internal error occurred: injected fault")
        }
    }
}
