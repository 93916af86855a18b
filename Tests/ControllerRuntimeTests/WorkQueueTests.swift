import Synchronization
import TestSupport
import Testing
@testable import ControllerRuntime

@Suite struct WorkQueueTests {
    @Test func aKeyAddedWhileQueuedIsQueuedOnce() async {
        let queue = WorkQueue(name: "t")
        await queue.add("a")
        await queue.add("b")
        await queue.add("a")
        #expect(await queue.depth == 2)
        #expect(await queue.get() == "a")
        #expect(await queue.get() == "b")
    }

    @Test func aKeyInProcessIsRequeuedOnceWhenDone() async {
        let queue = WorkQueue(name: "t")
        await queue.add("a")
        let key = await queue.get()
        #expect(key == "a")
        await queue.add("a")
        await queue.add("a")
        #expect(await queue.depth == 0)  // not handed to a second worker meanwhile
        await queue.done("a")
        #expect(await queue.depth == 1)
        #expect(await queue.get() == "a")
        await queue.done("a")
        #expect(await queue.depth == 0)
    }

    @Test func waitingWorkersReceiveKeysInOrder() async {
        let queue = WorkQueue(name: "t")
        async let first = queue.get()
        async let second = queue.get()
        while await queue.depth == 0, await queue.processingCount < 2 {
            await queue.add("x")
            await queue.add("y")
        }
        let got = Set([await first, await second].compactMap { $0 })
        #expect(got == ["x", "y"])
    }

    @Test func shutDownReleasesWaitingWorkers() async {
        let queue = WorkQueue(name: "t")
        async let waiting = queue.get()
        try? await Task.sleep(for: .milliseconds(20))
        await queue.shutDown()
        #expect(await waiting == nil)
        await queue.add("late")
        #expect(await queue.depth == 0)
    }

    @Test func addAfterWaitsOnTheInjectedClockAndEarliestTimeWins() async throws {
        let clock = ManualClock()
        let queue = WorkQueue(name: "t", clock: TimeSource(clock))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await queue.run() }
            await queue.addAfter("k", .seconds(10))
            await queue.addAfter("k", .seconds(3))   // earlier: wins
            await queue.addAfter("k", .seconds(20))  // later: ignored
            #expect(await clock.waitForSleepers(2))
            clock.advance(by: .seconds(2))
            #expect(await queue.depth == 0)
            clock.advance(by: .seconds(1))
            try await waitUntil { await queue.depth == 1 }
            #expect(await queue.get() == "k")
            await queue.done("k")
            clock.advance(by: .seconds(10))
            try await Task.sleep(for: .milliseconds(20))
            #expect(await queue.depth == 0)  // the superseded 10 s timer adds nothing
            await queue.shutDown()
            group.cancelAll()
        }
    }

    @Test func rateLimitedAddsBackOffExponentiallyUntilForgotten() async throws {
        let clock = ManualClock()
        let queue = WorkQueue(name: "t", clock: TimeSource(clock), rateLimiter: RateLimiter(baseDelay: .seconds(1), bucketRate: 1000, bucketBurst: 1000))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await queue.run() }
            for expectedDelay in [1, 2, 4] {
                await queue.addRateLimited("k")
                #expect(await clock.waitForSleepers(1))
                clock.advance(by: .seconds(expectedDelay) - .milliseconds(1))
                try await Task.sleep(for: .milliseconds(10))
                #expect(await queue.depth == 0)
                clock.advance(by: .milliseconds(1))
                try await waitUntil { await queue.depth == 1 }
                _ = await queue.get()
                await queue.done("k")
            }
            #expect(await queue.retries("k") == 3)
            await queue.forget("k")
            #expect(await queue.retries("k") == 0)
            await queue.shutDown()
            group.cancelAll()
        }
    }
}

@Suite struct RateLimiterTests {
    @Test func perKeyBackoffDoublesFromFiveMillisecondsToTheCap() {
        var limiter = RateLimiter()
        let delays = (0..<5).map { _ in limiter.when("k", now: .seconds(1000)) }
        #expect(delays == [.milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(40), .milliseconds(80)])
        for _ in 0..<40 { _ = limiter.when("k", now: .seconds(1000)) }
        #expect(limiter.when("k", now: .seconds(1000)) == .seconds(1000))
        #expect(limiter.when("other", now: .seconds(1000)) == .milliseconds(5))
    }

    @Test func theOverallBucketLimitsBurstsAcrossKeys() {
        var limiter = RateLimiter(baseDelay: .milliseconds(1), bucketRate: 10, bucketBurst: 3)
        let delays = (0..<5).map { limiter.when("k\($0)", now: .zero) }
        #expect(delays[0...2].allSatisfy { $0 == .milliseconds(1) })
        #expect(abs(delays[3].seconds - 0.1) < 1e-9)
        #expect(abs(delays[4].seconds - 0.2) < 1e-9)
        // Tokens refill with time.
        #expect(limiter.when("k9", now: .seconds(10)) == .milliseconds(1))
    }
}

@Suite struct BackoffTests {
    @Test func doublesFrom800msTo30sWithoutJitter() {
        var backoff = Backoff(jitter: 0)
        let delays = (0..<8).map { _ in backoff.next() }
        #expect(delays == [.milliseconds(800), .milliseconds(1600), .milliseconds(3200), .milliseconds(6400),
                           .milliseconds(12800), .milliseconds(25600), .seconds(30), .seconds(30)])
        backoff.reset()
        #expect(backoff.next() == .milliseconds(800))
    }

    @Test func jitterStretchesWithinBounds() {
        var backoff = Backoff(jitter: 0.2, seed: 42)
        for _ in 0..<3 { _ = backoff.next() }
        let d = backoff.next().seconds
        #expect(d >= 6.4 && d < 6.4 * 1.2)
    }
}

/// Polls a condition (real time) for up to a minute: generous, because
/// CPU-heavy suites running in parallel can starve the thread pool.
func waitUntil(_ condition: @Sendable () async -> Bool) async throws {
    let start = ContinuousClock.now
    while !(await condition()) {
        if ContinuousClock.now - start > .seconds(60) {
            Issue.record("condition not met in time")
            return
        }
        try await Task.sleep(for: .milliseconds(2))
    }
}

