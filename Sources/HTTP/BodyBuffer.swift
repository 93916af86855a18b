import Locking


/// What the transfer should do with a body chunk it offered.
enum BodyDisposition: Sendable, Equatable {
    case accepted
    /// Buffer full: keep the chunk and pause until `resumeTransfer` is called.
    case pause
    /// Nobody reads any more: abort the transfer.
    case abort
}

/// The bounded hand-off between the curl thread (producer) and the task
/// iterating a streaming body (consumer). Once `limit` bytes wait unread the
/// producer is told to pause; when the consumer has drained to half of it,
/// `resumeTransfer` asks the curl thread to continue. So at most `limit`
/// plus one chunk is ever held per stream, however slow the consumer.
final class BodyBuffer: Sendable {
    private struct State {
        var chunks: [[UInt8]] = []
        var head = 0
        var bufferedBytes = 0
        var paused = false
        var end: HTTPError?? = nil
        var abandoned = false
        var waiter: CheckedContinuation<Result<[UInt8]?, HTTPError>, Never>?
    }

    let limit: Int
    private let state = Locked(State())
    private let counters: TransportCounters
    private let resumeTransfer: @Sendable () -> Void
    private let cancelTransfer: @Sendable () -> Void

    init(limit: Int, counters: TransportCounters,
         resumeTransfer: @escaping @Sendable () -> Void, cancelTransfer: @escaping @Sendable () -> Void) {
        self.limit = max(1, limit)
        self.counters = counters
        self.resumeTransfer = resumeTransfer
        self.cancelTransfer = cancelTransfer
    }

    var isAbandoned: Bool { state.withLock { $0.abandoned } }

    // MARK: producer (curl thread)

    func offer(_ chunk: [UInt8]) -> BodyDisposition {
        let (disposition, waiter): (BodyDisposition, CheckedContinuation<Result<[UInt8]?, HTTPError>, Never>?) =
            state.withLock { state in
                if state.abandoned { return (.abort, nil) }
                if let waiter = state.waiter {
                    state.waiter = nil
                    return (.accepted, waiter)
                }
                if state.bufferedBytes >= limit {
                    state.paused = true
                    return (.pause, nil)
                }
                state.chunks.append(chunk)
                state.bufferedBytes += chunk.count
                return (.accepted, nil)
            }
        switch disposition {
        case .accepted where waiter == nil: counters.update { $0.bufferedBodyBytes += chunk.count }
        case .pause: counters.update { $0.pauses += 1 }
        default: break
        }
        waiter?.resume(returning: .success(chunk))
        return disposition
    }

    /// The transfer ended: nil when the body is complete.
    func finish(_ error: HTTPError?) {
        let waiter = state.withLock { state -> CheckedContinuation<Result<[UInt8]?, HTTPError>, Never>? in
            guard state.end == nil else { return nil }
            state.end = .some(error)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: error.map { .failure($0) } ?? .success(nil))
    }

    // MARK: consumer

    /// The next chunk, nil at the end of the body; throws the transfer's
    /// error, or `HTTPError.cancelled` when the consuming task is cancelled.
    func next() async throws(HTTPError) -> [UInt8]? {
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<[UInt8]?, HTTPError>, Never>) in
                var released = 0
                var resume = false
                let immediate: Result<[UInt8]?, HTTPError>? = state.withLock { state in
                    if state.abandoned { return .failure(.cancelled) }
                    if state.head < state.chunks.count {
                        let chunk = state.chunks[state.head]
                        state.chunks[state.head] = []
                        state.head += 1
                        if state.head > 64 && state.head * 2 > state.chunks.count {
                            state.chunks.removeFirst(state.head)
                            state.head = 0
                        }
                        state.bufferedBytes -= chunk.count
                        released = chunk.count
                        if state.paused && state.bufferedBytes <= limit / 2 {
                            state.paused = false
                            resume = true
                        }
                        return .success(chunk)
                    }
                    if let end = state.end {
                        return end.map { .failure($0) } ?? .success(nil)
                    }
                    state.waiter = continuation
                    return nil
                }
                if released > 0 { counters.update { $0.bufferedBodyBytes -= released } }
                if resume { resumeTransfer() }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            abandon()
        }
        return try result.get()
    }

    /// The consumer is gone (stream dropped or its task cancelled): drop what
    /// is buffered and abort the transfer if it still runs.
    func abandon() {
        let (waiter, released, running) = state.withLock { state in
            guard !state.abandoned else { return (nil as CheckedContinuation<Result<[UInt8]?, HTTPError>, Never>?, 0, false) }
            state.abandoned = true
            let released = state.bufferedBytes
            state.chunks = []
            state.head = 0
            state.bufferedBytes = 0
            defer { state.waiter = nil }
            return (state.waiter, released, state.end == nil)
        }
        if released > 0 { counters.update { $0.bufferedBodyBytes -= released } }
        waiter?.resume(returning: .failure(.cancelled))
        if running { cancelTransfer() }
    }
}

/// Owned only by a streaming body's `AsyncThrowingStream`: when the stream
/// is released (consumer dropped it, or its iteration was cancelled), the
/// transfer is aborted.
final class BodyStreamOwner: Sendable {
    let buffer: BodyBuffer
    init(_ buffer: BodyBuffer) { self.buffer = buffer }
    deinit { buffer.abandon() }

    static func stream(over buffer: BodyBuffer) -> AsyncThrowingStream<[UInt8], any Error> {
        let owner = BodyStreamOwner(buffer)
        return AsyncThrowingStream(unfolding: { try await owner.buffer.next() })
    }
}
