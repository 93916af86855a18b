@testable import HTTP
import Synchronization
import Testing

/// Records what the buffer asked of the transfer.
private final class TransferProbe: Sendable {
    let resumes = Atomic<Int>(0)
    let cancels = Atomic<Int>(0)
}

@Suite struct BodyBufferTests {
    private func makeBuffer(limit: Int) -> (BodyBuffer, TransferProbe, TransportCounters) {
        let probe = TransferProbe()
        let counters = TransportCounters()
        let buffer = BodyBuffer(limit: limit, counters: counters,
                                resumeTransfer: { probe.resumes.add(1, ordering: .relaxed) },
                                cancelTransfer: { probe.cancels.add(1, ordering: .relaxed) })
        return (buffer, probe, counters)
    }

    @Test func pausesAtTheLimitAndResumesAtHalf() async throws {
        let (buffer, probe, counters) = makeBuffer(limit: 100)
        #expect(buffer.offer([UInt8](repeating: 1, count: 60)) == .accepted)
        #expect(buffer.offer([UInt8](repeating: 2, count: 60)) == .accepted)
        #expect(buffer.offer([UInt8](repeating: 3, count: 10)) == .pause)
        #expect(counters.snapshot.bufferedBodyBytes == 120)
        #expect(counters.snapshot.pauses == 1)

        #expect(try await buffer.next()?.first == 1)
        #expect(probe.resumes.load(ordering: .relaxed) == 0)  // 60 left: above half
        #expect(try await buffer.next()?.first == 2)
        #expect(probe.resumes.load(ordering: .relaxed) == 1)
        #expect(counters.snapshot.bufferedBodyBytes == 0)
        #expect(counters.snapshot.peakBufferedBodyBytes == 120)
    }

    @Test func deliversChunksInOrderThenEnds() async throws {
        let (buffer, _, _) = makeBuffer(limit: 1 << 20)
        for value in UInt8(0)..<200 { #expect(buffer.offer([value]) == .accepted) }
        buffer.finish(nil)
        var seen: [UInt8] = []
        while let chunk = try await buffer.next() { seen += chunk }
        #expect(seen == Array(0..<200))
    }

    @Test func handsAChunkDirectlyToAWaitingConsumer() async throws {
        let (buffer, _, counters) = makeBuffer(limit: 10)
        async let next = buffer.next()
        try await Task.sleep(for: .milliseconds(50))
        #expect(buffer.offer([9, 9]) == .accepted)
        #expect(try await next == [9, 9])
        #expect(counters.snapshot.peakBufferedBodyBytes == 0)
    }

    @Test func deliversBufferedDataBeforeTheTransfersError() async throws {
        let (buffer, _, _) = makeBuffer(limit: 10)
        _ = buffer.offer([1])
        buffer.finish(.timedOut(url: "u"))
        #expect(try await buffer.next() == [1])
        await #expect(throws: HTTPError.timedOut(url: "u")) { try await buffer.next() }
    }

    @Test func abandoningCancelsARunningTransferOnceAndRefusesMoreData() async throws {
        let (buffer, probe, counters) = makeBuffer(limit: 10)
        _ = buffer.offer([1, 2, 3])
        buffer.abandon()
        buffer.abandon()
        #expect(probe.cancels.load(ordering: .relaxed) == 1)
        #expect(buffer.offer([4]) == .abort)
        #expect(counters.snapshot.bufferedBodyBytes == 0)
        await #expect(throws: HTTPError.cancelled) { try await buffer.next() }
    }

    @Test func abandoningAFinishedTransferCancelsNothing() {
        let (buffer, probe, _) = makeBuffer(limit: 10)
        buffer.finish(nil)
        buffer.abandon()
        #expect(probe.cancels.load(ordering: .relaxed) == 0)
    }

    @Test func cancellingTheConsumerWakesItAndAbortsTheTransfer() async throws {
        let (buffer, probe, _) = makeBuffer(limit: 10)
        let consumer = Task { try await buffer.next() }
        try await Task.sleep(for: .milliseconds(50))
        consumer.cancel()
        await #expect(throws: HTTPError.cancelled) { try await consumer.value }
        #expect(probe.cancels.load(ordering: .relaxed) == 1)
    }

    @Test func droppingTheStreamAbandonsTheBuffer() async throws {
        let (buffer, probe, _) = makeBuffer(limit: 10)
        do {
            let stream = BodyStreamOwner.stream(over: buffer)
            _ = stream
        }
        #expect(buffer.isAbandoned)
        #expect(probe.cancels.load(ordering: .relaxed) == 1)
    }
}
