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

/// Encodes and decodes through JSON, as status does.
enum JSONRoundTrip {
    static func copy<T: Codable>(_ value: T) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONEncoder().encode(value))
    }
}
