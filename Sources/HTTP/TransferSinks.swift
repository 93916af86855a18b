import Locking


/// What the curl thread reports about one transfer, in order: at most one
/// `headComplete`, body chunks, then exactly one `finished`. Called on the
/// curl thread only, never concurrently.
protocol TransferSink: AnyObject, Sendable {
    /// True when the caller gave up before the transfer started; the engine
    /// then finishes it without touching the network.
    var isAbandoned: Bool { get }
    func headComplete(_ head: ResponseHead)
    func body(_ chunk: [UInt8]) -> BodyDisposition
    /// nil: the whole response arrived (`headComplete` was called before).
    func finished(_ error: HTTPError?)
}

/// Collects a whole response for `send`.
final class BufferedResponseSink: TransferSink {
    private struct State {
        var head: ResponseHead?
        var body: [UInt8] = []
        var result: Result<HTTPResponse, HTTPError>?
        var waiter: CheckedContinuation<Result<HTTPResponse, HTTPError>, Never>?
    }
    private let state = Locked(State())

    var isAbandoned: Bool { state.withLock { $0.result != nil } }

    func headComplete(_ head: ResponseHead) { state.withLock { $0.head = head } }

    func body(_ chunk: [UInt8]) -> BodyDisposition {
        state.withLock { state in
            guard state.result == nil else { return .abort }
            state.body.append(contentsOf: chunk)
            return .accepted
        }
    }

    func finished(_ error: HTTPError?) {
        complete { state in
            if let error { return .failure(error) }
            guard let head = state.head else { return .failure(.other("transfer ended without a response")) }
            return .success(HTTPResponse(status: head.status, headers: head.headers, body: state.body))
        }
    }

    /// The caller's task was cancelled.
    func cancel() { complete { _ in .failure(.cancelled) } }

    func response() async -> Result<HTTPResponse, HTTPError> {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state in
                if state.result == nil { state.waiter = continuation }
                return state.result
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private func complete(_ outcome: (State) -> Result<HTTPResponse, HTTPError>) {
        let (waiter, result) = state.withLock { state -> (CheckedContinuation<Result<HTTPResponse, HTTPError>, Never>?, Result<HTTPResponse, HTTPError>?) in
            guard state.result == nil else { return (nil, nil) }
            let result = outcome(state)
            state.result = result
            state.body = []
            defer { state.waiter = nil }
            return (state.waiter, result)
        }
        if let waiter, let result { waiter.resume(returning: result) }
    }
}

/// Delivers the head of a streamed response to `stream`'s caller as soon as
/// it is complete, then feeds the body into a `BodyBuffer`.
final class StreamingResponseSink: TransferSink {
    private struct State {
        var head: Result<ResponseHead, HTTPError>?
        var waiter: CheckedContinuation<Result<ResponseHead, HTTPError>, Never>?
    }
    private let state = Locked(State())
    let buffer: BodyBuffer

    init(buffer: BodyBuffer) { self.buffer = buffer }

    var isAbandoned: Bool {
        buffer.isAbandoned || state.withLock { if case .failure = $0.head { true } else { false } }
    }

    func headComplete(_ head: ResponseHead) { deliverHead(.success(head)) }

    func body(_ chunk: [UInt8]) -> BodyDisposition { buffer.offer(chunk) }

    func finished(_ error: HTTPError?) {
        deliverHead(.failure(error ?? .other("transfer ended without a response")))
        buffer.finish(error)
    }

    /// `stream`'s caller was cancelled while waiting for the head.
    func cancel() {
        deliverHead(.failure(.cancelled))
        buffer.abandon()
    }

    func head() async -> Result<ResponseHead, HTTPError> {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state in
                if state.head == nil { state.waiter = continuation }
                return state.head
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// The first outcome wins; later ones (the error after a delivered head) are ignored.
    private func deliverHead(_ outcome: Result<ResponseHead, HTTPError>) {
        let waiter = state.withLock { state -> CheckedContinuation<Result<ResponseHead, HTTPError>, Never>? in
            guard state.head == nil else { return nil }
            state.head = outcome
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: outcome)
    }
}
