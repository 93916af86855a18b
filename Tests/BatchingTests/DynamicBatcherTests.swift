import Synchronization
import TestSupport
import Testing
@testable import Batching

/// Records batches; can hold them until the test opens the gate.
final class Recorder: Sendable {
    private let batches = Mutex<[[Int]]>([])
    private let gateOpen = Mutex(true)
    var recorded: [[Int]] { batches.withLock { $0 } }

    func close() { gateOpen.withLock { $0 = false } }
    func open() { gateOpen.withLock { $0 = true } }

    func execute(_ items: [Int]) async throws -> [Int] {
        batches.withLock { $0.append(items) }
        while !gateOpen.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(1)) }
        if items.contains(-1) { throw TestFailure.poisoned }
        if items.contains(-2) { return [] }
        return items.map { $0 * 10 }
    }
}

enum TestFailure: Error { case poisoned }

struct Harness {
    let clock = ManualClock()
    let recorder = Recorder()
    let batcher: DynamicBatcher<Int, Int, String, ManualClock>

    init(maxBatchSize: Int = 4, delayMs: Int = 50, queue: Int = 100, concurrent: Int = 1) {
        let recorder = self.recorder
        batcher = DynamicBatcher(
            configuration: BatchingConfiguration(maxBatchSize: maxBatchSize, maxQueueDelay: .milliseconds(delayMs),
                                                 maxQueueSize: queue, maxConcurrentBatches: concurrent),
            clock: clock, execute: { try await recorder.execute($0) })
    }

    /// Starts a submit in a child task and waits until it is queued or dispatched.
    func submit(_ group: inout ThrowingTaskGroup<(Int, Int), any Error>, _ value: Int, key: String = "a") async {
        let batcher = self.batcher
        let recorder = self.recorder
        let before = batcher.queueDepth + recorder.recorded.joined().count
        group.addTask { (value, try await batcher.submit(value, key: key)) }
        await settle { batcher.queueDepth + recorder.recorded.joined().count > before }
    }
}

@Suite struct DynamicBatcherTests {
    @Test func fullBatchLeavesWithoutWaitingForTheDelay() async throws {
        let h = Harness(maxBatchSize: 4)
        async let running: Void = h.batcher.run()
        try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for i in 1...4 { await h.submit(&group, i) }
            await settle { h.recorder.recorded.count == 1 }
            #expect(h.recorder.recorded == [[1, 2, 3, 4]])
            var results: [Int: Int] = [:]
            for try await (input, output) in group { results[input] = output }
            #expect(results == [1: 10, 2: 20, 3: 30, 4: 40])
        }
        h.batcher.shutdown()
        await running
    }

    @Test func partialBatchLeavesExactlyAtTheDelay() async throws {
        let h = Harness(maxBatchSize: 8, delayMs: 50)
        async let running: Void = h.batcher.run()
        try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            await h.submit(&group, 1)
            await h.submit(&group, 2)
            await settle { h.clock.sleeperCount == 1 }
            h.clock.advance(by: .milliseconds(49))
            try await Task.sleep(for: .milliseconds(20))
            #expect(h.recorder.recorded.isEmpty)
            h.clock.advance(by: .milliseconds(1))
            await settle { h.recorder.recorded.count == 1 }
            #expect(h.recorder.recorded == [[1, 2]])
            try await group.waitForAll()
        }
        h.batcher.shutdown()
        await running
    }

    @Test func delayCountsFromTheOldestRequest() async throws {
        let h = Harness(maxBatchSize: 8, delayMs: 50)
        async let running: Void = h.batcher.run()
        try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            await h.submit(&group, 1)
            await settle { h.clock.sleeperCount == 1 }
            h.clock.advance(by: .milliseconds(30))
            await h.submit(&group, 2)
            h.clock.advance(by: .milliseconds(20))
            await settle { h.recorder.recorded.count == 1 }
            #expect(h.recorder.recorded == [[1, 2]])
            try await group.waitForAll()
        }
        h.batcher.shutdown()
        await running
    }

    @Test func requestsWithDifferentKeysNeverShareABatch() async throws {
        let h = Harness(maxBatchSize: 8, delayMs: 50, concurrent: 2)
        async let running: Void = h.batcher.run()
        try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            await h.submit(&group, 1, key: "[3]")
            await h.submit(&group, 2, key: "[5]")
            await h.submit(&group, 3, key: "[3]")
            await settle { h.clock.sleeperCount == 1 }
            h.clock.advance(by: .milliseconds(50))
            await settle { h.recorder.recorded.count == 2 }
            #expect(Set(h.recorder.recorded) == [[1, 3], [2]])
            try await group.waitForAll()
        }
        h.batcher.shutdown()
        await running
    }

    @Test func moreThanMaxSplitsIntoFullBatchesThenWaitsForTheRest() async throws {
        let h = Harness(maxBatchSize: 4, delayMs: 50, concurrent: 4)
        async let running: Void = h.batcher.run()
        try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for i in 1...10 { await h.submit(&group, i) }
            await settle { h.recorder.recorded.count == 2 }
            #expect(h.recorder.recorded == [[1, 2, 3, 4], [5, 6, 7, 8]])
            #expect(h.batcher.queueDepth == 2)
            h.clock.advance(by: .milliseconds(50))
            await settle { h.recorder.recorded.count == 3 }
            #expect(h.recorder.recorded.last == [9, 10])
            try await group.waitForAll()
        }
        h.batcher.shutdown()
        await running
    }

    @Test func requestsQueueWhileTheModelIsBusyAndLeaveAsOneBatch() async throws {
        let h = Harness(maxBatchSize: 4, delayMs: 50, concurrent: 1)
        async let running: Void = h.batcher.run()
        h.recorder.close()
        try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for i in 1...4 { await h.submit(&group, i) }  // first batch, held at the gate
            for i in 5...7 { await h.submit(&group, i) }
            h.clock.advance(by: .milliseconds(100))  // past the delay, but no slot is free
            try await Task.sleep(for: .milliseconds(20))
            #expect(h.recorder.recorded.count == 1)
            #expect(h.batcher.queueDepth == 3)
            h.recorder.open()
            await settle { h.recorder.recorded.count == 2 }
            #expect(h.recorder.recorded.last == [5, 6, 7])
            try await group.waitForAll()
        }
        h.batcher.shutdown()
        await running
    }

    @Test func fullQueueRefusesWithOverloaded() async throws {
        let h = Harness(maxBatchSize: 1, delayMs: 50, queue: 2, concurrent: 1)
        async let running: Void = h.batcher.run()
        h.recorder.close()
        try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            await h.submit(&group, 1)  // running
            await h.submit(&group, 2)  // queued
            await h.submit(&group, 3)  // queued
            #expect(h.batcher.queueDepth == 2)
            await #expect(throws: BatchingError.overloaded(limit: 2)) { try await h.batcher.submit(4, key: "a") }
            h.recorder.open()
            try await group.waitForAll()
        }
        h.batcher.shutdown()
        await running
    }

    @Test func cancelledRequestLeavesTheQueue() async throws {
        let h = Harness(maxBatchSize: 8, delayMs: 50)
        async let running: Void = h.batcher.run()
        let batcher = h.batcher
        let keep = Task { try await batcher.submit(1, key: "a") }
        await settle { batcher.queueDepth == 1 }
        let leave = Task { try await batcher.submit(2, key: "a") }
        await settle { batcher.queueDepth == 2 }
        leave.cancel()
        await settle { batcher.queueDepth == 1 }
        #expect(batcher.queueDepth == 1)
        await #expect(throws: CancellationError.self) { try await leave.value }
        h.clock.advance(by: .milliseconds(50))
        #expect(try await keep.value == 10)
        #expect(h.recorder.recorded == [[1]])
        h.batcher.shutdown()
        await running
    }

    @Test func errorFailsOnlyThatBatch() async throws {
        let h = Harness(maxBatchSize: 2, delayMs: 50, concurrent: 2)
        async let running: Void = h.batcher.run()
        let batcher = h.batcher
        let bad = Task { try await batcher.submit(-1, key: "bad") }
        let badSibling = Task { try await batcher.submit(5, key: "bad") }
        let good = Task { try await batcher.submit(7, key: "good") }
        let goodSibling = Task { try await batcher.submit(8, key: "good") }
        await #expect(throws: TestFailure.poisoned) { try await bad.value }
        await #expect(throws: TestFailure.poisoned) { try await badSibling.value }
        #expect(try await good.value == 70)
        #expect(try await goodSibling.value == 80)
        h.batcher.shutdown()
        await running
    }

    @Test func wrongResultCountIsAnErrorForTheBatch() async throws {
        let h = Harness(maxBatchSize: 1)
        async let running: Void = h.batcher.run()
        await #expect(throws: BatchingError.resultCountMismatch(expected: 1, got: 0)) { try await h.batcher.submit(-2, key: "a") }
        h.batcher.shutdown()
        await running
    }

    @Test func shutdownSendsQueuedRequestsAtOnceAndRefusesNewOnes() async throws {
        let h = Harness(maxBatchSize: 8, delayMs: 50_000)
        async let running: Void = h.batcher.run()
        try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            await h.submit(&group, 1)
            await h.submit(&group, 2)
            h.batcher.shutdown()
            await settle { h.recorder.recorded.count == 1 }
            #expect(h.recorder.recorded == [[1, 2]])
            await #expect(throws: BatchingError.shuttingDown) { try await h.batcher.submit(3, key: "a") }
            try await group.waitForAll()
        }
        await running
    }

    @Test func cancellingRunFailsWhatIsStillQueued() async throws {
        let h = Harness(maxBatchSize: 8, delayMs: 50_000)
        let batcher = h.batcher
        let runner = Task { await batcher.run() }
        let waiting = Task { try await batcher.submit(1, key: "a") }
        await settle { batcher.queueDepth == 1 }
        runner.cancel()
        await runner.value
        await #expect(throws: BatchingError.shuttingDown) { try await waiting.value }
    }

    @Test(arguments: [1, 4, 8])
    func batchSizeNeverExceedsTheLimit(limit: Int) async throws {
        let h = Harness(maxBatchSize: limit, delayMs: 10, concurrent: 1)
        async let running: Void = h.batcher.run()
        try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for i in 1...20 { await h.submit(&group, i) }
            while h.recorder.recorded.joined().count < 20 {
                h.clock.advance(by: .milliseconds(10))
                try await Task.sleep(for: .milliseconds(1))
            }
            try await group.waitForAll()
        }
        #expect(h.recorder.recorded.allSatisfy { $0.count <= limit })
        #expect(h.recorder.recorded.joined().sorted() == Array(1...20))
        h.batcher.shutdown()
        await running
    }
}
