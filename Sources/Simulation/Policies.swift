import Autoscaling

/// The policies the simulator compares, by the names the report uses.
public enum PolicyName: String, Sendable, Hashable, Codable, CaseIterable {
    /// The shipped default: matrix + rate-based scale-up + stabilised scale-down.
    case `default` = "default"
    /// The plain decision matrix.
    case matrix
    /// Kubernetes HPA on p95 latency, target 150 ms (the seed's reference setup).
    case hpa
    /// Kubernetes HPA on GPU utilisation, target 60%.
    case hpaUtil = "hpa-util"
    /// Knative KPA on requests/s, target = capacity per replica at 70%.
    case kpa
    /// Knows the future rate; the cost yardstick.
    case oracle
}

/// Bounds and SLO every policy shares in one simulation.
public struct SimulationSettings: Sendable, Hashable, Codable {
    public var minReplicas: Int
    public var maxReplicas: Int
    /// The latency objective: a minute is within it when its p95 is at most this.
    public var sloSeconds: Double
    /// Prometheus scrape interval of the observation model.
    public var scrapeIntervalSeconds: Int
    /// Rate / quantile window of the observation model.
    public var rateWindowSeconds: Int

    /// The `default` policy's settings, for parameter sweeps; nil = the
    /// shipped `ScalingPolicy.recommended` with the model's capacity.
    public var defaultPolicy: ScalingPolicy?
    /// How every policy (and the idealised causal bound) begins the trace.
    public var start: SimulationStart

    /// min 2 / max 16 (the matrix), SLO 200 ms, 15 s scrape, 1 m window, settled start.
    public init(minReplicas: Int = 2, maxReplicas: Int = 16, sloSeconds: Double = 0.200,
                scrapeIntervalSeconds: Int = 15, rateWindowSeconds: Int = 60, defaultPolicy: ScalingPolicy? = nil,
                start: SimulationStart = .settled) {
        self.defaultPolicy = defaultPolicy
        self.start = start
        self.minReplicas = minReplicas
        self.maxReplicas = maxReplicas
        self.sloSeconds = sloSeconds
        self.scrapeIntervalSeconds = scrapeIntervalSeconds
        self.rateWindowSeconds = rateWindowSeconds
    }
}

/// How the policies begin a trace.
public enum SimulationStart: String, Sendable, Hashable, Codable, CaseIterable {
    /// With the oracle's replicas for the first minute's highest rate, all
    /// ready, and no history: a service that was already running at the
    /// trace's first level (the default; every figure before this option).
    case settled
    /// At `minReplicas`, all ready, and no history: the object was just
    /// created, and the trace's traffic is its first.
    case fresh
}

/// A policy ready to step: its configuration and its remembered state.
enum Controller {
    case engine(ScalingPolicy, ScalerState)
    case hpaLatency(HPAConfig, HPAState)
    case hpaUtilization(HPAConfig, HPAState)
    case kpa(KPAConfig, KPAState)
    case oracle

    static func make(_ name: PolicyName, model: ServiceModel, settings: SimulationSettings) -> Controller {
        switch name {
        case .default:
            var policy = settings.defaultPolicy ?? ScalingPolicy.recommended(capacityPerReplicaRPS: model.capacityPerReplicaRPS)
            policy.minReplicas = settings.minReplicas
            policy.maxReplicas = settings.maxReplicas
            return .engine(policy, ScalerState())
        case .matrix:
            var policy = ScalingPolicy.matrix
            policy.minReplicas = settings.minReplicas
            policy.maxReplicas = settings.maxReplicas
            return .engine(policy, ScalerState())
        case .hpa:
            var config = HPAConfig.p95()
            config.minReplicas = settings.minReplicas
            config.maxReplicas = settings.maxReplicas
            return .hpaLatency(config, HPAState())
        case .hpaUtil:
            var config = HPAConfig.utilization()
            config.minReplicas = settings.minReplicas
            config.maxReplicas = settings.maxReplicas
            return .hpaUtilization(config, HPAState())
        case .kpa:
            return .kpa(KPAConfig(targetPerReplica: model.capacityPerReplicaRPS,
                                  minReplicas: settings.minReplicas, maxReplicas: settings.maxReplicas), KPAState())
        case .oracle:
            return .oracle
        }
    }

    /// One decision of a policy that reads the Prometheus-like observation
    /// (`default`, `matrix`, `hpa`, `hpa-util`): the target, and the
    /// engine's decision (rule and reason) when the policy is the decision
    /// engine. nil for the KPA and the oracle, which do not read it.
    mutating func decide(observing observation: Observation, now: Double) -> (target: Int, decision: Decision?)? {
        switch self {
        case .engine(let policy, let state):
            let decision = Autoscaling.decide(policy: policy, state: state, observation: observation, now: now)
            self = .engine(policy, decision.state)
            return (decision.targetReplicas, decision)
        case .hpaLatency(let config, let state):
            let result = hpaDecide(config: config, state: state, metric: observation.p95Latency,
                                   currentReplicas: observation.currentReplicas, readyReplicas: observation.readyReplicas, now: now)
            self = .hpaLatency(config, result.state)
            return (result.replicas, nil)
        case .hpaUtilization(let config, let state):
            let result = hpaDecide(config: config, state: state, metric: observation.gpuUtilization,
                                   currentReplicas: observation.currentReplicas, readyReplicas: observation.readyReplicas, now: now)
            self = .hpaUtilization(config, result.state)
            return (result.replicas, nil)
        case .kpa, .oracle:
            return nil
        }
    }

    /// Seconds between two decisions.
    var interval: Int {
        switch self {
        case .engine(let policy, _): return max(1, Int(policy.evaluationIntervalSeconds.rounded()))
        case .hpaLatency(let config, _), .hpaUtilization(let config, _): return max(1, Int(config.syncPeriodSeconds.rounded()))
        case .kpa(let config, _): return max(1, Int(config.tickSeconds.rounded()))
        case .oracle: return 1
        }
    }
}
