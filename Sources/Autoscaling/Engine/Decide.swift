/// The scaling decision: a pure function of policy, remembered state,
/// observation and time. No IO, no clock reads; the operator's loop and the
/// simulator call exactly this.
///
/// Order of evaluation (documented contract, tested):
/// 1. Book-keeping: p95 breach counter (a breach the rate rule has already
///    answered is not counted, `RequestRateRule.sizesOverload`), idle
///    timer, signal-failure counter, burst detection and its hold, the
///    adaptive headroom's step (`AdaptiveHeadroom`), rate recommendations,
///    the adaptive stabilisation window (`ScaleDownRule`), reversals older
///    than an hour dropped.
/// 2. KEDA-style fallback, when configured and every signal failed
///    `failureThreshold` times in a row: target = fallback replicas.
/// 3. Scale-up candidates, each a target above the current replicas:
///    below `minReplicas`; latency (+step after N breaches, also while
///    replicas start unless its `whileReplicasStart` is false); GPU (+step,
///    only when no replica is not ready unless `whileReplicasStart`, and not
///    for an overload the rate rule has already answered);
///    request rate (to what the rate needs); burst (to what the full rate
///    window will show, when the rate rose `factor`× within the window). A rule whose cap is at or
///    below the current replicas does not fire (a cap never scales down).
///    The highest target wins; on a tie the earlier rule in that list is
///    named. Scale-ups are never held for missing data or reversals.
/// 4. Only when no scale-up fired: above `maxReplicas` → max; otherwise a
///    scale-down (idle → min, then stabilised rate scale-down, whose window
///    adapts to the object's own scale-downs and is the burst hold while
///    one runs; during the hold it also keeps the latency, GPU and burst
///    scale-ups, and bursts the replicas already covered, of the last
///    `holdKeepsScaleUpsSeconds`) only if none
///    of the policy's signals is missing/unavailable, no up-rule signal is
///    breaching, and the reversal limit allows it.
/// 5. The result is clamped to [minReplicas, maxReplicas].
public func decide(policy: ScalingPolicy, state previous: ScalerState, observation: Observation, now: Double) -> Decision {
    var engine = DecisionEngine(policy: policy, state: previous, observation: observation, now: now)
    return engine.run()
}

private struct Candidate {
    var rule: ScalingRule
    var target: Int
    var reason: String
}

private struct DecisionEngine {
    let policy: ScalingPolicy
    var state: ScalerState
    let obs: Observation
    let now: Double
    var notes: [String] = []
    /// The burst seen at this evaluation: the lowest earlier reading of the
    /// burst window (the rise starts there).
    var burstThisEvaluation: TimedRate?
    /// The rate that burst is sized for.
    var burstProjectedRate: Double = 0

    let lower: Int
    let upper: Int
    let current: Int

    init(policy: ScalingPolicy, state: ScalerState, observation: Observation, now: Double) {
        self.policy = policy
        self.state = state
        self.obs = observation
        self.now = now
        lower = max(0, policy.minReplicas)
        upper = max(lower, policy.maxReplicas, 1)
        current = max(0, observation.currentReplicas)
    }

    /// Signals the enabled rules read.
    var usedSignals: [SignalName] {
        var names: [SignalName] = []
        if policy.latency != nil { names.append(.p95Latency) }
        if policy.gpuUtilization != nil { names.append(.gpuUtilization) }
        if policy.idle != nil || policy.requestRate != nil { names.append(.requestRate) }
        return names
    }

    mutating func run() -> Decision {
        let unusable = usedSignals.filter { obs.signal($0).isFailure }
        for name in unusable {
            notes.append("\(name.rawValue) is \(obs.signal(name).summary)")
        }
        updateBookkeeping(unusable: unusable)

        if let fallback = policy.fallback, !usedSignals.isEmpty,
           state.consecutiveSignalFailures >= fallback.failureThreshold {
            let target = clamp(fallback.replicas)
            return finish(Candidate(rule: target == current ? .hold : .fallback, target: target,
                                    reason: "every signal failed \(state.consecutiveSignalFailures) times in a row: fallback to \(target) replicas"),
                          unusable: unusable)
        }

        let ups = scaleUpCandidates()
        if let best = ups.max(by: { $0.target < $1.target }) {
            // `max(by:)` returns the last maximal element; the contract names the first.
            let first = ups.first { $0.target == best.target } ?? best
            if ups.contains(where: { $0.rule == .latency }) { state.latencyBreaches = 0 }
            return finish(Candidate(rule: first.rule, target: min(first.target, upper), reason: first.reason), unusable: unusable)
        }

        if current > upper {
            return finish(Candidate(rule: .aboveMaximum, target: upper,
                                    reason: "\(current) replicas exceed maxReplicas \(upper)"), unusable: unusable)
        }
        if let down = scaleDownCandidate(unusable: unusable) {
            return finish(down, unusable: unusable)
        }
        return finish(Candidate(rule: .hold, target: current, reason: holdReason(unusable: unusable)), unusable: unusable)
    }

    // MARK: book-keeping

    mutating func updateBookkeeping(unusable: [SignalName]) {
        recordReadyReplicas()
        if let rule = policy.latency {
            switch obs.p95Latency {
            case .value(let seconds) where seconds * 1000 > rule.thresholdMilliseconds:
                if let sized = overloadAlreadySized() {
                    notes.append("latency rule: p95 \(formatNumber(seconds * 1000)) ms above \(formatNumber(rule.thresholdMilliseconds)) ms not counted: \(sized)")
                } else {
                    state.latencyBreaches += 1
                }
            case .value, .noData:
                state.latencyBreaches = 0
            case .missing, .unavailable:
                break
            }
        }
        switch obs.requestRate {
        case .value(let rps) where rps <= 0:
            if state.idleSince == nil { state.idleSince = now }
        case .value:
            state.idleSince = nil
        case .noData, .missing, .unavailable:
            break
        }
        let used = usedSignals
        if !used.isEmpty && unusable.count == used.count {
            state.consecutiveSignalFailures += 1
        } else {
            state.consecutiveSignalFailures = 0
        }
        burstThisEvaluation = nil
        if let rateRule = policy.requestRate, rateRule.lookaheadSeconds > 0 || policy.burst != nil {
            let keep = max(rateRule.lookaheadSeconds > 0 ? rateRule.trendWindowSeconds : 0, policy.burst?.windowSeconds ?? 0)
            state.recentRates.removeAll { $0.time < now - keep }
            if case .value(let rps) = obs.requestRate, rps.isFinite {
                if let burst = policy.burst { detectBurst(burst, rateRule: rateRule, rps: rps) }
                state.recentRates.append(TimedRate(time: now, rps: rps))
            }
        }
        if let rateRule = policy.requestRate, let adaptive = rateRule.adaptive {
            steerHeadroom(adaptive, rateRule: rateRule)
        }
        if let rateRule = policy.requestRate, let down = policy.scaleDown, case .value(let rps) = obs.requestRate {
            state.rateRecommendations.append(TimedReplicas(time: now, replicas: rateRule.replicas(forRate: rps, utilization: state.rateTargetUtilization)))
            if state.rateHistoryStart == nil { state.rateHistoryStart = now }
            let horizon = now - max(down.stabilizationWindowSeconds, policy.burst?.holdSeconds ?? 0)
            state.rateRecommendations.removeAll { $0.time < horizon }
        }
        if let down = policy.scaleDown { judgeLastScaleDown(down, scaledUpNow: false) }
        state.ruleScaleUps.removeAll { $0.time < now - (policy.burst?.holdKeepsScaleUpsSeconds ?? 0) }
        state.reversalTimes.removeAll { $0 <= now - 3600 }
        let notReady = obs.notReadyReplicas
        if notReady > 0 {
            if state.notReadySince == nil { state.notReadySince = now }
        } else {
            state.notReadySince = nil
        }
        state.notReadyReplicas = notReady
    }

    /// Adapts the stabilisation window (see `ScaleDownRule`) to the last
    /// scale-down's outcome once it is known: premature when a scale-up
    /// comes within the longest window after it (the window doubles), held
    /// when none has come by then (it halves).
    mutating func judgeLastScaleDown(_ rule: ScaleDownRule, scaledUpNow: Bool) {
        guard let shortest = rule.minStabilizationWindowSeconds, let down = state.lastScaleDownAt,
              state.judgedScaleDownAt != down else { return }
        let longest = rule.stabilizationWindowSeconds
        let window = state.stabilizationSeconds ?? longest
        if scaledUpNow, now - down < longest {
            state.stabilizationSeconds = min(longest, window * 2)
            state.judgedScaleDownAt = down
        } else if !scaledUpNow, now - down >= longest, (state.lastScaleUpAt ?? -.infinity) < down {
            state.stabilizationSeconds = max(min(shortest, longest), window / 2)
            state.judgedScaleDownAt = down
        }
    }

    // MARK: scale-up

    mutating func scaleUpCandidates() -> [Candidate] {
        var ups: [Candidate] = []
        if current < lower {
            ups.append(Candidate(rule: .belowMinimum, target: lower,
                                 reason: "\(current) replicas are below minReplicas \(lower)"))
        }
        var ruleUps: [Candidate] = []
        if let rule = policy.latency, state.latencyBreaches >= rule.consecutiveIntervals {
            let p95 = obs.p95Latency.number.map { formatNumber($0 * 1000) + " ms" } ?? obs.p95Latency.summary
            if !rule.whileReplicasStart, obs.notReadyReplicas > 0 {
                notes.append("latency rule: p95 above \(formatNumber(rule.thresholdMilliseconds)) ms but \(obs.notReadyReplicas) replica(s) not ready yet")
            } else if current >= rule.cap {
                notes.append("latency rule: p95 above \(formatNumber(rule.thresholdMilliseconds)) ms but \(current) replicas are at its cap \(rule.cap)")
            } else {
                let target = min(current + rule.step, rule.cap)
                ruleUps.append(Candidate(rule: .latency, target: target,
                                         reason: "p95 \(p95) above \(formatNumber(rule.thresholdMilliseconds)) ms for \(state.latencyBreaches) consecutive intervals: +\(target - current) to \(target) (cap \(rule.cap))"))
            }
        }
        if let rule = policy.gpuUtilization, case .value(let util) = obs.gpuUtilization, util > rule.thresholdPercent {
            let notReady = obs.notReadyReplicas
            if notReady > 0, !rule.whileReplicasStart {
                notes.append("GPU rule: utilisation \(formatNumber(util))% above \(formatNumber(rule.thresholdPercent))% but \(notReady) replica(s) not ready yet")
            } else if let sized = overloadAlreadySized() {
                notes.append("GPU rule: utilisation \(formatNumber(util))% above \(formatNumber(rule.thresholdPercent))% not acted on: \(sized)")
            } else if current >= rule.cap {
                notes.append("GPU rule: utilisation \(formatNumber(util))% but \(current) replicas are at its cap \(rule.cap)")
            } else {
                let target = min(current + rule.step, rule.cap)
                ruleUps.append(Candidate(rule: .gpuUtilization, target: target,
                                         reason: "GPU utilisation \(formatNumber(util))% above \(formatNumber(rule.thresholdPercent))%: +\(target - current) to \(target) (cap \(rule.cap))"))
            }
        }
        if let rule = policy.requestRate, case .value(let rps) = obs.requestRate {
            let cap = rule.cap ?? upper
            let utilization = state.rateTargetUtilization ?? rule.targetUtilization
            let sized = projectedRate(rule, current: rps)
            let needed = min(rule.replicas(forRate: sized, utilization: utilization), cap)
            if needed > current {
                let trend = sized > rps ? " (rising: sized for \(formatNumber(sized))/s in \(formatNumber(rule.lookaheadSeconds)) s)" : ""
                ruleUps.append(Candidate(rule: .requestRate, target: needed,
                                         reason: "request rate \(formatNumber(rps))/s\(trend) needs \(needed) replicas at \(formatNumber(utilization * 100))% of \(formatNumber(rule.capacityPerReplicaRPS))/s each"))
            }
        }
        if let rule = policy.burst, let rateRule = policy.requestRate, let from = burstThisEvaluation,
           case .value(let rps) = obs.requestRate {
            let cap = rateRule.cap ?? upper
            let utilization = state.rateTargetUtilization ?? rateRule.targetUtilization
            let sized = burstProjectedRate
            let wanted = rateRule.replicas(forRate: sized, utilization: utilization)
            let needed = min(wanted, cap)
            if needed > current {
                let size = wanted > cap ? "\(wanted) replicas, capped at \(cap)" : "\(needed) replicas"
                ruleUps.append(Candidate(rule: .burst, target: needed,
                                         reason: "burst: request rate \(formatNumber(rps))/s is \(from.rps > 0 ? formatNumber(rps / from.rps) + "×" : "up from 0/s") within \(formatNumber(now - from.time)) s; projected to \(formatNumber(sized))/s once the full \(formatNumber(rule.windowSeconds)) s window shows it: \(size)"))
            }
        }
        if !ruleUps.isEmpty, policy.scaleUpCooldownSeconds > 0, let last = state.lastScaleUpAt,
           now - last < policy.scaleUpCooldownSeconds {
            notes.append("scale-up wanted (\(ruleUps.map(\.rule.rawValue).joined(separator: ", "))) but within the \(formatNumber(policy.scaleUpCooldownSeconds)) s scale-up cooldown")
            ruleUps = []
        }
        return ups + ruleUps
    }

    /// A burst: `rps` is at least `factor` × the lowest reading of the
    /// burst window and its projection needs more than the minimum replicas.
    mutating func detectBurst(_ rule: BurstRule, rateRule: RequestRateRule, rps: Double) {
        // The lowest reading of the window; of equal ones the latest, where the rise began.
        var lowest: TimedRate?
        for reading in state.recentRates where reading.time >= now - rule.windowSeconds && reading.time < now {
            if lowest == nil || reading.rps <= lowest!.rps { lowest = reading }
        }
        guard let lowest, rps >= rule.factor * lowest.rps else { return }
        // Ignore rises that stay small: the projected rate must need more than the minimum.
        var projected = rule.projectedRate(rps, from: lowest, now: now)
        if rule.sizesFromLastRise, let previous = state.recentRates.last {
            projected = max(projected, rule.rateEnteringWindow(rps, previous: previous, now: now))
        }
        guard rateRule.replicas(forRate: projected, utilization: state.rateTargetUtilization ?? rateRule.targetUtilization) > lower
        else { return }
        burstThisEvaluation = lowest
        burstProjectedRate = projected
        // A burst recurs when its rise began after the previous burst was seen, within the hold.
        // A rise from established traffic is evidence enough; a rise from nothing must recur.
        let recurs = state.lastBurstAt.map { lowest.time > $0 && now - $0 <= rule.holdSeconds } ?? false
        let holding = state.burstHoldUntil.map { now < $0 } ?? false
        if !rule.holdNeedsRecurrence || lowest.rps > 0 || recurs || holding {
            state.burstHoldUntil = now + rule.holdSeconds
        }
        state.lastBurstAt = now
        if rule.keepsCoveredBursts, rule.holdKeepsScaleUpsSeconds > 0 {
            // Replicas that already cover the burst's projection count like a scale-up to them.
            let covered = min(current, rateRule.replicas(forRate: projected, utilization: state.rateTargetUtilization ?? rateRule.targetUtilization))
            if covered > lower { state.ruleScaleUps.append(TimedReplicas(time: now, replicas: covered)) }
        }
    }

    /// Keeps the ready replicas of the evaluations within the evidence window
    /// (the p95 and rate queries' window and the one before), for
    /// `windowUtilization`.
    mutating func recordReadyReplicas() {
        guard let adaptive = policy.requestRate?.adaptive else { return }
        state.recentReady.removeAll { $0.time < now - adaptive.evidenceWindowSeconds }
        state.recentReady.append(TimedReplicas(time: now, replicas: obs.readyReplicas))
    }

    /// The utilisation the signals' window ran at: the rate over the fewest
    /// replicas ready during the evidence window (nil without a rate,
    /// capacity or ready replica).
    var windowUtilization: Double? {
        guard let rateRule = policy.requestRate, rateRule.capacityPerReplicaRPS > 0,
              case .value(let rps) = obs.requestRate, rps > 0 else { return nil }
        let fewestReady = state.recentReady.map(\.replicas).min() ?? obs.readyReplicas
        guard fewestReady > 0 else { return nil }
        return rps / (Double(fewestReady) * rateRule.capacityPerReplicaRPS)
    }

    /// Why a slow window needs no latency scale-up of its own, when the rate
    /// rule's `sizesOverload` says so: the window's mean rate alone
    /// overloaded the replicas it had (utilisation above the knee), and the
    /// replicas now ordered already carry that rate at the knee. nil otherwise.
    func overloadAlreadySized() -> String? {
        guard let rateRule = policy.requestRate, rateRule.sizesOverload, let adaptive = rateRule.adaptive,
              let utilization = windowUtilization, utilization > adaptive.maxUtilization + 1e-9,
              case .value(let rps) = obs.requestRate else { return nil }
        let needed = rateRule.replicas(forRate: rps, utilization: adaptive.maxUtilization)
        guard current >= needed else { return nil }
        return "the replicas ran at \(formatNumber(utilization * 100))% of capacity in that window, which the mean rate \(formatNumber(rps))/s alone explains, and the \(current) now ordered carry it at \(formatNumber(adaptive.maxUtilization * 100))%"
    }

    /// The adaptive headroom (see `AdaptiveHeadroom`): a reading whose
    /// window would have been slow at the sized utilisation lowers the
    /// target; after a full horizon of evidence it rises to the safe
    /// utilisation all but `raiseSlowShare` of the horizon's readings reach.
    mutating func steerHeadroom(_ adaptive: AdaptiveHeadroom, rateRule: RequestRateRule) {
        var utilization = state.rateTargetUtilization ?? rateRule.targetUtilization
        let threshold = (policy.latency?.thresholdMilliseconds ?? 200) / 1000
        let horizon = adaptive.raiseHorizonSeconds
        while let first = state.safeUtilizations.first, first.time < now - horizon { state.safeUtilizations.removeFirst() }
        if state.safeUtilizations.isEmpty, let since = state.safeEvidenceSince, now - since > horizon {
            state.safeEvidenceSince = nil   // a gap longer than the horizon: start over
        }
        defer { state.rateTargetUtilization = min(max(utilization, adaptive.minUtilization), adaptive.maxUtilization) }
        guard case .value(let p95) = obs.p95Latency, case .value(let rps) = obs.requestRate, let windowUtilization else { return }
        let burstsRecur = policy.burst != nil && (state.burstHoldUntil.map { now < $0 } ?? false)
        if windowUtilization > adaptive.maxUtilization + 1e-9 && !burstsRecur {
            // Too few replicas for the mean rate: the rate rule's work, no evidence about headroom.
            if p95 > threshold {
                notes.append("headroom kept at \(formatNumber(utilization * 100))%: p95 \(formatNumber(p95 * 1000)) ms, but the replicas ran at \(formatNumber(windowUtilization * 100))% of capacity (above \(formatNumber(adaptive.maxUtilization * 100))%), which the mean rate alone explains")
            }
            return
        }
        let safe = adaptive.safeUtilization(p95: p95, threshold: threshold, windowUtilization: windowUtilization)
        guard !safe.isNaN else { return }   // an unmeasurable p95 (+Inf) at exactly full utilisation
        let needed = rateRule.replicas(forRate: rps, utilization: utilization)
        let sized = rps / (Double(needed) * rateRule.capacityPerReplicaRPS)
        if safe < sized {
            let lowered = max(utilization - adaptive.lowerStep, adaptive.minUtilization)
            notes.append("headroom: p95 \(formatNumber(p95 * 1000)) ms at \(formatNumber(windowUtilization * 100))% of capacity would have met \(formatNumber(threshold * 1000)) ms only up to \(formatNumber(max(0, safe) * 100))%, below the \(formatNumber(sized * 100))% now sized for: sizing for \(formatNumber(lowered * 100))% (was \(formatNumber(utilization * 100))%)")
            utilization = lowered
        }
        // Raise evidence: readings taken while the rate rule sets the size (not the floor, not a hold
        // above it), and any that would have been slow at the target, wherever they come from.
        guard (needed >= max(lower, 1) && current <= needed) || safe < utilization else { return }
        state.safeUtilizations.append(TimedRate(time: now, rps: safe))
        if state.safeEvidenceSince == nil { state.safeEvidenceSince = now }
        let readings = state.safeUtilizations.count
        let allowed = adaptive.slowReadingsAllowed(of: readings)
        guard let since = state.safeEvidenceSince, now - since >= horizon,
              let reached = lowest(rank: allowed, of: state.safeUtilizations.lazy.map(\.rps)),
              reached > utilization + 1e-9 else { return }
        let raised = min(reached, adaptive.maxUtilization)
        if withinObserved(adaptive, rateRule: rateRule, rps: rps, raisedTo: raised) {
            let which = allowed == 0 ? "every window" : "all but \(allowed) of the \(readings) windows"
            notes.append("headroom: \(which) of the last \(formatNumber(horizon)) s would have met \(formatNumber(threshold * 1000)) ms at \(formatNumber(reached * 100))% of capacity: sizing for \(formatNumber(raised * 100))% (was \(formatNumber(utilization * 100))%)")
            utilization = raised
        }
    }

    /// The `rank`-th lowest of `values` (0: the lowest), nil when there are
    /// not that many. Keeps only the rank + 1 lowest seen, so a raise's few
    /// allowed slow windows cost one pass over the horizon, not a sort.
    func lowest(rank: Int, of values: some Sequence<Double>) -> Double? {
        var kept: [Double] = []   // ascending, at most rank + 1
        for value in values where kept.count <= rank || value < kept[rank] {
            kept.insert(value, at: kept.firstIndex { $0 > value } ?? kept.count)
            if kept.count > rank + 1 { kept.removeLast() }
        }
        return kept.count > rank ? kept[rank] : nil
    }

    /// Whether `raised` stays within the utilisation the ready replicas run
    /// at plus the rule's margin (always, when the rule sets no margin).
    func withinObserved(_ adaptive: AdaptiveHeadroom, rateRule: RequestRateRule, rps: Double, raisedTo raised: Double) -> Bool {
        guard let margin = adaptive.raiseWithinObserved else { return true }
        let ready = obs.readyReplicas
        guard ready > 0, rateRule.capacityPerReplicaRPS > 0 else { return false }
        return raised <= rps / (Double(ready) * rateRule.capacityPerReplicaRPS) + margin
    }

    /// The rate the rule sizes for: the reading, or its projection when rising.
    func projectedRate(_ rule: RequestRateRule, current rps: Double) -> Double {
        guard rule.lookaheadSeconds > 0,
              let oldest = state.recentRates.first(where: { $0.time >= now - rule.trendWindowSeconds }),
              now > oldest.time else { return rps }
        return rule.projectedRate(rps, risingBy: rps - oldest.rps, over: now - oldest.time)
    }

    // MARK: scale-down

    mutating func scaleDownCandidate(unusable: [SignalName]) -> Candidate? {
        guard current > lower else { return nil }
        var candidate: Candidate?
        if let rule = policy.idle, case .value(let rps) = obs.requestRate, rps <= 0,
           let since = state.idleSince, now - since > rule.afterSeconds {
            candidate = Candidate(rule: .idle, target: lower,
                                  reason: "no requests for \(formatNumber(now - since)) s (> \(formatNumber(rule.afterSeconds)) s): scale to minReplicas \(lower)")
        } else if let rule = policy.scaleDown, policy.requestRate != nil, case .value = obs.requestRate {
            candidate = rateScaleDown(rule)
        }
        guard let down = candidate else { return nil }

        if !unusable.isEmpty {
            notes.append("\(down.rule.rawValue) scale-down to \(down.target) held: never scale down while \(unusable.map(\.rawValue).joined(separator: ", ")) cannot be read")
            return Candidate(rule: .hold, target: current,
                             reason: "holding \(current) replicas: \(unusable.map { "\($0.rawValue) \(obs.signal($0).summary)" }.joined(separator: ", "))")
        }
        if let breach = breachingUpSignal() {
            notes.append("\(down.rule.rawValue) scale-down held: \(breach)")
            return nil
        }
        if let limit = policy.maxReversalsPerHour, state.lastDirection == .up, state.reversalTimes.count >= limit - 1 {
            // Keep the last reversal of the hour for a scale-up, so scale-ups are never blocked.
            notes.append("\(down.rule.rawValue) scale-down to \(down.target) held: \(state.reversalTimes.count) direction reversals in the last hour (limit \(limit))")
            return Candidate(rule: .hold, target: current,
                             reason: "holding \(current) replicas: reversal limit \(limit)/h reached")
        }
        return down
    }

    /// A reason when some scale-up rule's signal is above its threshold.
    func breachingUpSignal() -> String? {
        if let rule = policy.latency, state.latencyBreaches > 0 {
            return "p95 above \(formatNumber(rule.thresholdMilliseconds)) ms in \(state.latencyBreaches) interval(s)"
        }
        if let rule = policy.gpuUtilization, case .value(let util) = obs.gpuUtilization, util > rule.thresholdPercent {
            return "GPU utilisation \(formatNumber(util))% above \(formatNumber(rule.thresholdPercent))%"
        }
        return nil
    }

    mutating func rateScaleDown(_ rule: ScaleDownRule) -> Candidate? {
        var window = state.stabilizationSeconds ?? rule.stabilizationWindowSeconds
        guard let start = state.rateHistoryStart, now - start >= window else { return nil }
        var holding: BurstRule?
        if let burst = policy.burst, let until = state.burstHoldUntil, now < until {
            window = max(window, burst.holdSeconds)
            holding = burst
        }
        guard var highest = state.rateRecommendations.filter({ $0.time >= now - window }).map(\.replicas).max()
        else { return nil }
        var keptNote = ""
        if let burst = holding, burst.holdKeepsScaleUpsSeconds > 0,
           let kept = state.ruleScaleUps.filter({ $0.time >= now - burst.holdKeepsScaleUpsSeconds }).map(\.replicas).max(),
           kept > highest {
            // Those rules just showed the 1-minute mean under-sizing the burst.
            highest = kept
            keptNote = " (burst hold: a latency, GPU or burst scale-up to \(kept) within \(formatNumber(burst.holdKeepsScaleUpsSeconds)) s)"
        }
        let recommended = clamp(highest)
        guard recommended < current else { return nil }
        let lastChange = max(state.lastScaleUpAt ?? -.infinity, state.lastScaleDownAt ?? -.infinity)
        if now - lastChange < rule.cooldownSeconds {
            return nil
        }
        let step = max(rule.maxStepReplicas, Int(Double(current) * rule.maxStepFraction))
        let target = max(recommended, current - step, lower)
        return Candidate(rule: .scaleDown, target: target,
                         reason: "request rate needs at most \(recommended) replicas over the last \(formatNumber(window)) s\(keptNote): -\(current - target) to \(target)")
    }

    func holdReason(unusable: [SignalName]) -> String {
        if !unusable.isEmpty {
            return "holding \(current) replicas: \(unusable.map { "\($0.rawValue) \(obs.signal($0).summary)" }.joined(separator: ", "))"
        }
        var facts: [String] = []
        if let rule = policy.latency, case .value(let seconds) = obs.p95Latency {
            facts.append("p95 \(formatNumber(seconds * 1000)) ms within \(formatNumber(rule.thresholdMilliseconds)) ms")
        }
        if let rule = policy.gpuUtilization, case .value(let util) = obs.gpuUtilization {
            facts.append("GPU \(formatNumber(util))% within \(formatNumber(rule.thresholdPercent))%")
        }
        if let rule = policy.requestRate, case .value(let rps) = obs.requestRate {
            let utilization = state.rateTargetUtilization ?? rule.targetUtilization
            facts.append("request rate \(formatNumber(rps))/s needs \(clamp(rule.replicas(forRate: rps, utilization: utilization)))")
        }
        if let rule = policy.idle, case .value(let rps) = obs.requestRate, rps <= 0, let since = state.idleSince,
           current > lower {
            facts.append("no requests for \(formatNumber(now - since)) s of the \(formatNumber(rule.afterSeconds)) s before scaling to \(lower)")
        } else if let blocker = scaleDownBlocker() {
            facts.append(blocker)
        }
        if facts.isEmpty { facts.append("no rule asks for a change") }
        return "holding \(current) replicas: " + facts.joined(separator: "; ")
    }

    /// Why the rate rule's scale-down did not fire, in the order `rateScaleDown` checks.
    func scaleDownBlocker() -> String? {
        if current <= lower { return "at minReplicas \(lower)" }
        guard let rule = policy.scaleDown, policy.requestRate != nil, case .value = obs.requestRate else { return nil }
        var window = state.stabilizationSeconds ?? rule.stabilizationWindowSeconds
        guard let start = state.rateHistoryStart, now - start >= window else {
            return "scale-down needs \(formatNumber(window)) s of rate history"
        }
        var holdNote = ""
        if let burst = policy.burst, let until = state.burstHoldUntil, now < until {
            window = max(window, burst.holdSeconds)
            holdNote = " (burst hold, \(formatNumber(until - now)) s left)"
        }
        if let highest = state.rateRecommendations.filter({ $0.time >= now - window }).map(\.replicas).max(),
           clamp(highest) >= current {
            return "the last \(formatNumber(window)) s\(holdNote) asked for up to \(clamp(highest))"
        }
        let lastChange = max(state.lastScaleUpAt ?? -.infinity, state.lastScaleDownAt ?? -.infinity)
        if now - lastChange < rule.cooldownSeconds {
            return "scale-down cooldown, \(formatNumber(rule.cooldownSeconds - (now - lastChange))) s left"
        }
        return nil
    }

    // MARK: result

    func clamp(_ replicas: Int) -> Int { min(max(replicas, lower), upper) }

    mutating func finish(_ chosen: Candidate, unusable: [SignalName]) -> Decision {
        let target = clamp(chosen.target)
        var rule = chosen.rule
        var reason = chosen.reason
        if target == current && rule != .hold {
            rule = .hold
            reason = "holding \(current) replicas (\(chosen.reason))"
        }
        if target != current {
            let direction: ScaleDirection = target > current ? .up : .down
            if let last = state.lastDirection, last != direction { state.reversalTimes.append(now) }
            state.lastDirection = direction
            if direction == .up, rule != .belowMinimum, let down = policy.scaleDown { judgeLastScaleDown(down, scaledUpNow: true) }
            if direction == .up { state.lastScaleUpAt = now } else { state.lastScaleDownAt = now }
            if direction == .up, [.latency, .gpuUtilization, .burst].contains(rule),
               let burst = policy.burst, burst.holdKeepsScaleUpsSeconds > 0 {
                state.ruleScaleUps.append(TimedReplicas(time: now, replicas: target))
            }
        }
        return Decision(targetReplicas: target, rule: rule, reason: reason, unusableSignals: unusable,
                        notes: notes, state: state)
    }
}
