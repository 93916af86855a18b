import Logging
import Synchronization
import TestSupport
import Testing
@testable import ControllerRuntime

@Suite struct ControllerTests {
    final class Tracker: Sendable {
        struct State {
            var running: [String: Int] = [:]
            var maxPerKey = 0
            var maxTotal = 0
            var total = 0
            var visits: [String: Int] = [:]
        }
        let state = Mutex(State())
        func enter(_ key: String) {
            state.withLock { s in
                s.running[key, default: 0] += 1
                s.total += 1
                s.visits[key, default: 0] += 1
                s.maxPerKey = max(s.maxPerKey, s.running[key]!)
                s.maxTotal = max(s.maxTotal, s.total)
            }
        }
        func leave(_ key: String) { state.withLock { s in s.running[key]! -= 1; s.total -= 1 } }
    }

    @Test func workersRunConcurrentlyButNeverTwiceOnOneKey() async throws {
        let queue = WorkQueue(name: "c")
        let tracker = Tracker()
        let controller = Controller(name: "c", queue: queue, workers: 4, logger: Logger(label: "test")) { key in
            tracker.enter(key)
            try await Task.sleep(for: .milliseconds(5))
            tracker.leave(key)
            return .done
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await controller.run() }
            for round in 0..<5 {
                for i in 0..<8 { await queue.add("k\(i)") }
                try await Task.sleep(for: .milliseconds(round == 0 ? 2 : 8))
            }
            try await waitUntil { let d = await queue.depth; let p = await queue.processingCount; return d == 0 && p == 0 }
            group.cancelAll()
        }
        let s = tracker.state.withLock { $0 }
        #expect(s.maxPerKey == 1)
        #expect(s.maxTotal > 1)
        #expect(s.maxTotal <= 4)
        #expect(s.visits.count == 8)
    }

    struct Failure: Error {}

    @Test func errorsRequeueThroughTheRateLimiterAndSuccessForgets() async throws {
        let queue = WorkQueue(name: "e", rateLimiter: RateLimiter(baseDelay: .milliseconds(1)))
        let attempts = Mutex(0)
        let controller = Controller(name: "e", queue: queue, workers: 2, logger: Logger(label: "test")) { _ in
            let n = attempts.withLock { a -> Int in a += 1; return a }
            if n < 4 { throw Failure() }
            return .done
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await controller.run() }
            await queue.add("x")
            try await waitUntil { attempts.withLock { $0 } >= 4 }
            try await waitUntil { await queue.retries("x") == 0 }
            group.cancelAll()
        }
        #expect(attempts.withLock { $0 } == 4)
    }

    @Test func requeueAfterVisitsAgainOnTheClock() async throws {
        let clock = ManualClock()
        let queue = WorkQueue(name: "r", clock: TimeSource(clock))
        let visits = Mutex(0)
        let controller = Controller(name: "r", queue: queue, workers: 1, clock: TimeSource(clock), logger: Logger(label: "test")) { _ in
            visits.withLock { $0 += 1 }
            return .requeue(after: .seconds(15))
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await controller.run() }
            await queue.add("x")
            try await waitUntil { visits.withLock { $0 } == 1 }
            #expect(await clock.waitForSleepers(1))
            clock.advance(by: .seconds(14))
            try await Task.sleep(for: .milliseconds(10))
            #expect(visits.withLock { $0 } == 1)
            clock.advance(by: .seconds(1))
            try await waitUntil { visits.withLock { $0 } == 2 }
            group.cancelAll()
        }
    }
}
