#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import JSONValue
import KubeAPI
import KubeClient
import Logging
import Metrics

/// Records `events.k8s.io/v1` Events. Identical events (same object,
/// type, reason, action and note) within `seriesWindow` are aggregated into
/// one Event whose `series.count` grows; each object has a token bucket so
/// a flapping object cannot flood the API (client-go's spam filter
/// defaults: burst 25, one token per 5 minutes).
public actor EventRecorder {
    public enum EventType: String, Sendable { case normal = "Normal", warning = "Warning" }

    public struct Configuration: Sendable {
        public var reportingController: String
        public var reportingInstance: String
        /// client-go's events series window is 6 minutes.
        public var seriesWindow: Duration = .seconds(360)
        public var burst: Double = 25
        public var refillEvery: Duration = .seconds(300)

        public init(reportingController: String, reportingInstance: String) {
            self.reportingController = reportingController
            self.reportingInstance = reportingInstance
        }
    }

    private struct Series {
        var eventName: String
        var namespace: String
        var count: Int32
        var lastSeen: Duration
    }

    private struct Bucket {
        var tokens: Double
        var last: Duration
    }

    private let client: KubeClient
    private let configuration: Configuration
    private let time: TimeSource
    private let wallClock: @Sendable () -> Date
    private let logger: Logger
    private var series: [String: Series] = [:]
    private var buckets: [String: Bucket] = [:]
    private var sequence: UInt64 = 0
    public private(set) var dropped = 0

    public init(client: KubeClient, configuration: Configuration, clock: TimeSource = .continuous,
                wallClock: @escaping @Sendable () -> Date = { Date() }, logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.time = clock
        self.wallClock = wallClock
        self.logger = logger
    }

    /// Records one occurrence. Never throws: failures are logged and counted.
    public func record(regarding: ObjectReference, type: EventType, reason: String, action: String, note: String) async {
        let now = time.now()
        let objectKey = "\(regarding.namespace ?? "")/\(regarding.kind ?? "")/\(regarding.name ?? "")"
        guard takeToken(objectKey, now: now) else {
            dropped += 1
            Counter(label: "events_dropped_total", dimensions: [("reason", "rate_limited")]).increment()
            logger.debug("event dropped by the per-object rate limit", metadata: ["object": "\(objectKey)", "reason": "\(reason)"])
            return
        }
        let truncatedNote = String(note.prefix(1024))  // the API limits note to 1 kB
        let key = [objectKey, type.rawValue, reason, action, truncatedNote].joined(separator: "\u{1}")
        let stamp = Timestamps.formatMicro(wallClock())
        if var existing = series[key], now - existing.lastSeen < configuration.seriesWindow {
            existing.count += 1
            existing.lastSeen = now
            series[key] = existing
            let patch: JSON = ["series": ["count": .int(Int64(existing.count)), "lastObservedTime": .string(stamp)]]
            do {
                _ = try await client.patch(.events, name: existing.eventName, namespace: existing.namespace, .merge(patch))
                return
            } catch .notFound {
                series[key] = nil  // the event expired on the server; create a new one
            } catch {
                logger.warning("could not update event series", metadata: ["error": "\(error)"])
                return
            }
        }
        sequence += 1
        let namespace = regarding.namespace ?? "default"
        let name = "\(regarding.name ?? "object").\(String(UInt64(wallClock().timeIntervalSince1970 * 1e6), radix: 16))\(String(sequence, radix: 16))"
        var event = Event(metadata: ObjectMeta(name: name, namespace: namespace), eventTime: stamp,
                          reportingController: configuration.reportingController,
                          reportingInstance: configuration.reportingInstance, action: action, reason: reason,
                          regarding: regarding, note: truncatedNote, type: type.rawValue)
        event.apiVersion = "events.k8s.io/v1"
        event.kind = "Event"
        do {
            _ = try await client.create(event)
            series[key] = Series(eventName: name, namespace: namespace, count: 1, lastSeen: now)
            pruneSeries(now: now)
        } catch {
            logger.warning("could not create event", metadata: ["error": "\(error)", "reason": "\(reason)"])
        }
    }

    private func takeToken(_ key: String, now: Duration) -> Bool {
        var bucket = buckets[key] ?? Bucket(tokens: configuration.burst, last: now)
        let refill = (now - bucket.last).seconds / configuration.refillEvery.seconds
        bucket.tokens = min(configuration.burst, bucket.tokens + refill)
        bucket.last = now
        guard bucket.tokens >= 1 else {
            buckets[key] = bucket
            return false
        }
        bucket.tokens -= 1
        buckets[key] = bucket
        return true
    }

    private func pruneSeries(now: Duration) {
        guard series.count > 4096 else { return }
        series = series.filter { now - $0.value.lastSeen < configuration.seriesWindow }
    }
}
