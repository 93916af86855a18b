/// What a policy that cannot see the future can reach at best, in the same
/// model as the policies: a yardstick for goals, not a policy to ship.
///
/// The idealised causal policy knows, one second late, exactly what the
/// oracle needs each second (the fewest replicas that keep p95 within the
/// SLO at that second's rate). It changes replicas every second, has no
/// reversal limit, and holds the highest need of the last `holdSeconds`
/// seconds; the replicas it orders are ready a cold start later, and a
/// removal takes the newest first. It starts like every policy: with the
/// oracle's replicas for the first minute's highest rate, all ready, and
/// remembers that level as if held since before the trace.
///
/// A short hold follows the need closely but is always a cold start and a
/// second behind a rise; a long hold is ready for rises like those it has
/// seen, and pays for it. No real policy sees the need this precisely, so
/// what this policy cannot reach at some cost, none can in practice.
public struct IdealCausalBound: Sendable, Hashable {
    public var holdSeconds: Int
    public var sloMinutesPct: Double
    public var costVsOracle: Double
}

extension Simulator {
    /// The idealised causal policy's figures for each hold.
    public func idealCausalBounds(holds: [Int]) -> [IdealCausalBound] {
        let need = oracleReady()
        let start = workload.warmupSeconds
        let oracleCost = oracleOrdered(ready: need)[start...].reduce(0.0) { $0 + Double($1) }
        return holds.map { hold in
            let run = runIdealCausal(need: need, holdSeconds: hold)
            let figures = minuteFigures(replicas: run.replicas, p95: run.p95, delay: run.delay)
            return IdealCausalBound(holdSeconds: hold, sloMinutesPct: figures.sloMinutesPct,
                                    costVsOracle: oracleCost > 0 ? figures.replicaSeconds / oracleCost : 0)
        }
    }

    /// Seconds served by the idealised causal policy holding `holdSeconds`.
    func runIdealCausal(need: [Int], holdSeconds: Int) -> (replicas: [Int32], p95: [Float], delay: [Float]) {
        let n = need.count
        let coldStart = max(0, Int(model.coldStartSeconds.rounded()))
        let initial = startReplicas
        // What it has seen at t: the need of t - 1 (the level it started
        // with before the trace).
        let seen = (0..<n).map { $0 == 0 ? initial : need[$0 - 1] }
        let ordered = slidingExtreme(seen, window: max(0, holdSeconds) + 1, before: initial, keepLarger: true)
        let ready = slidingExtreme(ordered, window: coldStart + 1, before: initial, keepLarger: false)
        var p95 = [Float](repeating: 0, count: n)
        var delay = [Float](repeating: 0, count: n)
        var busy = [Double](repeating: 0, count: n)
        var backlog = 0.0
        for t in 0..<n {
            step(t: t, ready: ready[t], backlog: &backlog, p95: &p95, delay: &delay, busy: &busy)
        }
        return (ordered.map { Int32($0) }, p95, delay)
    }
}

/// For each t, the largest (or smallest) of `values[t - window + 1 ... t]`,
/// where indices before 0 hold `before`. A monotonic deque: O(n) for any
/// window.
func slidingExtreme(_ values: [Int], window: Int, before: Int, keepLarger: Bool) -> [Int] {
    let window = max(1, window)
    let better: (Int, Int) -> Bool = keepLarger ? { $0 >= $1 } : { $0 <= $1 }
    var result = [Int](repeating: 0, count: values.count)
    var deque: [Int] = []  // indices whose values are in worsening order
    var head = 0
    for t in values.indices {
        while deque.count > head, better(values[t], values[deque[deque.count - 1]]) { deque.removeLast() }
        deque.append(t)
        while deque[head] <= t - window { head += 1 }
        let inside = values[deque[head]]
        // The window reaches before the trace while t < window - 1.
        result[t] = t < window - 1 ? (better(before, inside) ? before : inside) : inside
        if head > 4096 { deque.removeFirst(head); head = 0 }
    }
    return result
}
