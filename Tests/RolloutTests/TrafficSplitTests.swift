import Foundation
import Rollout
import Testing

@Suite struct TrafficSplitTests {
    @Test(arguments: [
        (4, 0, TrafficSplit(selection: .stableOnly, stableReplicas: 4, candidateReplicas: 0)),
        (4, 100, TrafficSplit(selection: .candidateOnly, stableReplicas: 1, candidateReplicas: 4)),
        (10, 30, TrafficSplit(selection: .both, stableReplicas: 7, candidateReplicas: 3)),
        (20, 5, TrafficSplit(selection: .both, stableReplicas: 19, candidateReplicas: 1)),
        (4, 5, TrafficSplit(selection: .both, stableReplicas: 3, candidateReplicas: 1)),
        (1, 30, TrafficSplit(selection: .both, stableReplicas: 1, candidateReplicas: 1)),
        (4, 99, TrafficSplit(selection: .both, stableReplicas: 1, candidateReplicas: 3)),
    ])
    func splitsToTheNearestWholeReplicaShare(total: Int, weight: Int, expected: TrafficSplit) {
        #expect(TrafficSplit.replicas(total: total, weight: weight) == expected)
    }

    /// The documented bound, checked over every total up to 64 and every weight.
    @Test func theShareErrorIsWithinTheStatedBound() {
        for total in 2...64 {
            for weight in 1...99 {
                let w = Double(weight) / 100
                let half = 1 / (2 * Double(total))
                let bound = w < half ? 1 / Double(total) - w : w > 1 - half ? w - Double(total - 1) / Double(total) : half
                let error = TrafficSplit.errorBound(total: total, weight: weight)
                #expect(error <= bound + 1e-12, "total \(total) weight \(weight): error \(error) > \(bound)")
                let split = TrafficSplit.replicas(total: total, weight: weight)
                #expect(split.stableReplicas >= 1 && split.candidateReplicas >= 1 && split.stableReplicas + split.candidateReplicas == total)
            }
        }
    }

    @Test(arguments: [
        (4, 0, TrafficSplit(selection: .stableOnly, stableReplicas: 4, candidateReplicas: 0)),
        (4, -5, TrafficSplit(selection: .stableOnly, stableReplicas: 4, candidateReplicas: 0)),
        (0, 0, TrafficSplit(selection: .stableOnly, stableReplicas: 1, candidateReplicas: 0)),
        (4, 100, TrafficSplit(selection: .candidateOnly, stableReplicas: 1, candidateReplicas: 4)),
        (4, 5, TrafficSplit(selection: .both, stableReplicas: 4, candidateReplicas: 1)),  // 0.2 and 3.8, rounded up
        (20, 5, TrafficSplit(selection: .both, stableReplicas: 19, candidateReplicas: 1)),  // exact: no extra replica
        (10, 30, TrafficSplit(selection: .both, stableReplicas: 7, candidateReplicas: 3)),
        (3, 50, TrafficSplit(selection: .both, stableReplicas: 2, candidateReplicas: 2)),
        (4, 50, TrafficSplit(selection: .both, stableReplicas: 2, candidateReplicas: 2)),
        (1, 30, TrafficSplit(selection: .both, stableReplicas: 1, candidateReplicas: 1)),
        (4, 99, TrafficSplit(selection: .both, stableReplicas: 1, candidateReplicas: 4)),
        (200, 1, TrafficSplit(selection: .both, stableReplicas: 198, candidateReplicas: 2)),
    ])
    func withAGatewayEachVersionGetsItsShareRoundedUp(total: Int, weight: Int, expected: TrafficSplit) {
        #expect(TrafficSplit.gatewayReplicas(total: total, weight: weight) == expected)
    }

    /// Neither version is ever short of its share, and the rounding costs at most one replica.
    @Test func withAGatewayNoVersionIsUndersizedForItsShare() {
        for total in 1...64 {
            for weight in 1...99 {
                let split = TrafficSplit.gatewayReplicas(total: total, weight: weight)
                #expect(split.candidateReplicas * 100 >= total * weight && split.stableReplicas * 100 >= total * (100 - weight),
                        "total \(total) weight \(weight): \(split)")
                #expect(split.candidateReplicas >= 1 && split.stableReplicas >= 1)
                #expect(split.stableReplicas + split.candidateReplicas <= total + 1, "total \(total) weight \(weight): \(split)")
                #expect(split.selection == TrafficSplit.replicas(total: total, weight: weight).selection)
            }
        }
    }
}

/// Behind a Gateway the versions are sized by their shares of the work, which
/// their own compute per request sets.
@Suite struct CostRatioSizingTests {
    @Test(arguments: [
        // (total, weight, cost ratio, expected)
        (10, 30, nil as Double?, TrafficSplit(selection: .both, stableReplicas: 7, candidateReplicas: 3)),
        (10, 30, 1.0, TrafficSplit(selection: .both, stableReplicas: 7, candidateReplicas: 3)),
        // Twice the compute per request at 30%: 0.6 / (0.6 + 0.7) = 46% of the work.
        (10, 30, 2.0, TrafficSplit(selection: .both, stableReplicas: 6, candidateReplicas: 5)),
        // Half: 0.15 / 0.85 = 18%.
        (10, 30, 0.5, TrafficSplit(selection: .both, stableReplicas: 9, candidateReplicas: 2)),
        // Held to 1/8...8: 100 is read as 8 (5% · 8 = 0.4 of 1.35 → 30%).
        (10, 5, 100.0, TrafficSplit(selection: .both, stableReplicas: 8, candidateReplicas: 3)),
        (10, 0, 2.0, TrafficSplit(selection: .stableOnly, stableReplicas: 10, candidateReplicas: 0)),
        (10, 100, 2.0, TrafficSplit(selection: .candidateOnly, stableReplicas: 1, candidateReplicas: 10)),
    ])
    func aCostlierCandidateGetsMoreOfTheReplicas(total: Int, weight: Int, ratio: Double?, expected: TrafficSplit) {
        #expect(TrafficSplit.gatewayReplicas(total: total, weight: weight, costRatio: ratio) == expected)
    }

    /// Whatever the ratio, each version gets at least its share of the work and one replica, and the sum at most total + 1.
    @Test func noVersionIsUndersizedForItsShareOfTheWork() {
        for ratio in [0.01, 0.125, 0.3, 1, 1.7, 3, 8, 50] {
            let k = min(max(ratio, 0.125), 8)
            for total in 1...32 {
                for weight in 1...99 {
                    let split = TrafficSplit.gatewayReplicas(total: total, weight: weight, costRatio: ratio)
                    let w = Double(weight) / 100
                    let work = w * k / (w * k + 1 - w)
                    #expect(Double(split.candidateReplicas) >= Double(total) * work - 1e-6
                            && Double(split.stableReplicas) >= Double(total) * (1 - work) - 1e-6, "k \(ratio) T \(total) w \(weight): \(split)")
                    #expect(split.candidateReplicas >= 1 && split.stableReplicas >= 1)
                    #expect(split.stableReplicas + split.candidateReplicas <= total + 1, "k \(ratio) T \(total) w \(weight): \(split)")
                }
            }
        }
    }

    @Test func theRatioNeedsBothVersionsMeasured() {
        #expect(TrafficSplit.costRatio(candidateMs: 6, stableMs: 3) == 2)
        #expect(TrafficSplit.costRatio(candidateMs: nil, stableMs: 3) == nil)
        #expect(TrafficSplit.costRatio(candidateMs: 6, stableMs: 0) == nil)
        #expect(TrafficSplit.costRatio(candidateMs: .nan, stableMs: 3) == nil)
        #expect(TrafficSplit.costRatio(candidateMs: .infinity, stableMs: 3) == nil)
    }
}

/// Encodes and decodes through JSON, as status does.
enum JSONRoundTrip {
    static func copy<T: Codable>(_ value: T) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONEncoder().encode(value))
    }
}
