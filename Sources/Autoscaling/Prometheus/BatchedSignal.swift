/// One grouped query's answer split per object: a query per signal per
/// interval for every InferenceService, so the cost per interval does not
/// grow with the number of objects.
public struct BatchedSignal: Sendable, Hashable {
    /// Values by object, for every series that carried both object labels.
    public var values: [ObjectKey: SignalValue]
    /// Set when the query failed as a whole: every object gets this.
    public var failure: SignalValue?
    /// The typed error when the query itself failed (`failure` is its
    /// signal); nil for an answer of the wrong shape.
    public var error: PrometheusError?

    public init(values: [ObjectKey: SignalValue], failure: SignalValue? = nil, error: PrometheusError? = nil) {
        self.values = values
        self.failure = failure
        self.error = error
    }

    public init(failure: SignalValue) {
        self.init(values: [:], failure: failure)
    }

    /// A query that failed: every object is unavailable, for this error.
    public init(error: PrometheusError) {
        self.init(values: [:], failure: SignalValue(error: error), error: error)
    }

    /// Splits a vector by the object labels. Two series for one object make
    /// that object's value unavailable (the grouping is wrong; we do not
    /// guess). A scalar cannot be split: every object is unavailable.
    public init(result: PrometheusResult, labels: ObjectLabels) {
        switch result {
        case .vector(let samples):
            var values: [ObjectKey: SignalValue] = [:]
            var counts: [ObjectKey: Int] = [:]
            for sample in samples {
                guard let namespace = sample.labels[labels.namespace], let name = sample.labels[labels.name] else { continue }
                let key = ObjectKey(namespace: namespace, name: name)
                counts[key, default: 0] += 1
                values[key] = counts[key] == 1
                    ? SignalValue(sampleValue: sample.value)
                    : .unavailable("\(counts[key] ?? 0) series for \(key); group the query by (\(labels.namespace), \(labels.name))")
            }
            self.init(values: values)
        case .scalar:
            self.init(failure: .unavailable("batched query returned a scalar; it must be grouped by (\(labels.namespace), \(labels.name))"))
        case .other(let type):
            self.init(failure: .unavailable("batched query returned a \(type), expected a vector"))
        }
    }

    /// The object's signal: the failure if the query failed, `.missing`
    /// when the query worked but had no series for it.
    public func signal(for key: ObjectKey) -> SignalValue {
        failure ?? values[key] ?? .missing
    }
}

/// Per-object PromQL that replaces a default query (from the
/// InferenceService spec). Each override costs one query per interval.
public struct SignalOverrides: Sendable, Hashable, Codable {
    public var p95Latency: String?
    public var gpuUtilization: String?
    public var requestRate: String?
    public init(p95Latency: String? = nil, gpuUtilization: String? = nil, requestRate: String? = nil) {
        self.p95Latency = p95Latency
        self.gpuUtilization = gpuUtilization
        self.requestRate = requestRate
    }
}

/// The three signals of one object, before replica counts are added.
public struct ObjectSignals: Sendable, Hashable {
    public var p95Latency: SignalValue
    public var gpuUtilization: SignalValue
    public var requestRate: SignalValue
    /// The typed errors of the failed queries behind these signals (batched
    /// or the object's own); empty when every query answered. Callers act
    /// on these cases, never on the words of an `.unavailable` reason.
    public var errors: [PrometheusError]

    public init(p95Latency: SignalValue, gpuUtilization: SignalValue, requestRate: SignalValue, errors: [PrometheusError] = []) {
        self.p95Latency = p95Latency
        self.gpuUtilization = gpuUtilization
        self.requestRate = requestRate
        self.errors = errors
    }

    /// Prometheus answered 401/403 to a query behind these signals.
    public var credentialsRefused: Bool { errors.contains(where: \.refusedCredentials) }

    public func observation(currentReplicas: Int, readyReplicas: Int) -> Observation {
        Observation(p95Latency: p95Latency, gpuUtilization: gpuUtilization, requestRate: requestRate,
                    currentReplicas: currentReplicas, readyReplicas: readyReplicas)
    }
}

extension PrometheusClient {
    /// Reads every object's signals: one batched query per signal (only if
    /// some object uses the default), plus one query per override.
    /// - Parameter skipping: signals no object needs (e.g. GPU utilisation
    ///   when no policy has the GPU rule): not queried, read as `.missing`.
    public func readSignals(for objects: [ObjectKey: SignalOverrides], queries: SignalQueries = SignalQueries(),
                            time: Double? = nil, skipping: Set<SignalName> = []) async -> [ObjectKey: ObjectSignals] {
        func needsDefault(_ path: KeyPath<SignalOverrides, String?>, _ name: SignalName) -> Bool {
            !skipping.contains(name) && objects.values.contains { $0[keyPath: path] == nil }
        }
        let p95 = needsDefault(\.p95Latency, .p95Latency) ? await batchedSignal(queries.p95Latency(), objectLabels: queries.labels, time: time) : nil
        let gpu = needsDefault(\.gpuUtilization, .gpuUtilization) ? await batchedSignal(queries.gpuUtilization(), objectLabels: queries.labels, time: time) : nil
        let rate = needsDefault(\.requestRate, .requestRate) ? await batchedSignal(queries.requestRate(), objectLabels: queries.labels, time: time) : nil

        var result: [ObjectKey: ObjectSignals] = [:]
        for (key, overrides) in objects.sorted(by: { $0.key < $1.key }) {
            func read(_ override: String?, _ batched: BatchedSignal?, _ name: SignalName) async -> (value: SignalValue, error: PrometheusError?) {
                if skipping.contains(name) { return (.missing, nil) }
                if let override { return await signalReading(override, time: time) }
                guard let batched else { return (.missing, nil) }
                return (batched.signal(for: key), batched.error)
            }
            let p95Reading = await read(overrides.p95Latency, p95, .p95Latency)
            let gpuReading = await read(overrides.gpuUtilization, gpu, .gpuUtilization)
            let rateReading = await read(overrides.requestRate, rate, .requestRate)
            result[key] = ObjectSignals(p95Latency: p95Reading.value, gpuUtilization: gpuReading.value, requestRate: rateReading.value,
                                        errors: [p95Reading.error, gpuReading.error, rateReading.error].compactMap { $0 })
        }
        return result
    }
}
