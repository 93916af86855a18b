import Autoscaling
import JSONValue

/// One fuzz input: the first byte picks the HTTP status, the rest is a
/// `/api/v1/query` response body. Checks:
/// - parsing answers a result or a `PrometheusError` (never traps);
/// - a parsed result written back in Prometheus' format parses to the same result;
/// - no signal read from it is a number made of NaN or -Inf;
/// - the decision from those signals never scales down while a signal is
///   missing or unavailable (the operator's "no scale-down on missing data").
@_cdecl("LLVMFuzzerTestOneInput")
public func prometheusFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size >= 1 else { return 0 }
    let statuses = [200, 400, 401, 403, 422, 500, 503, 204]
    let status = statuses[Int(data[0]) % statuses.count]
    let body = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))

    let signals: (single: SignalValue, a: SignalValue, b: SignalValue)
    do {
        let result = try PrometheusResult.parse(body: body, httpStatus: status)
        checkRoundTrip(result, body: body)
        let batched = BatchedSignal(result: result, labels: ObjectLabels())
        signals = (SignalValue(singleResult: result),
                   batched.signal(for: ObjectKey(namespace: "ns", name: "a")),
                   batched.signal(for: ObjectKey(namespace: "ns", name: "b")))
    } catch {
        let failed = SignalValue(error: error)
        guard case .unavailable = failed else { fatalError("a failed query reads as \(failed), not unavailable") }
        signals = (failed, failed, failed)
    }
    for signal in [signals.single, signals.a, signals.b] {
        if case .value(let v) = signal, v.isNaN || v == -.infinity {
            fatalError("a signal carries the number \(v); body \(String(decoding: body, as: UTF8.self).debugDescription)")
        }
    }
    checkNoScaleDownOnMissingData(p95: signals.single, gpu: signals.a, rate: signals.b)
    return 0
}

/// Writes the result as Prometheus would and parses it again.
func checkRoundTrip(_ result: PrometheusResult, body: [UInt8]) {
    func value(_ v: Double) -> JSON {
        let text: String = v.isNaN ? "NaN" : v == .infinity ? "+Inf" : v == -.infinity ? "-Inf" : String(v)
        return [1_700_000_000.5, .string(text)]
    }
    let data: JSON
    switch result {
    case .scalar(let v):
        data = ["resultType": "scalar", "result": value(v)]
    case .vector(let samples):
        let items: [JSON] = samples.map { sample in
            var metric = JSONObject()
            for (key, text) in sample.labels.sorted(by: { $0.key < $1.key }) { metric[key] = .string(text) }
            return ["metric": .object(metric), "value": value(sample.value)]
        }
        data = ["resultType": "vector", "result": .array(items)]
    case .other(let type):
        data = ["resultType": .string(type), "result": []]
    }
    let written: JSON = ["status": "success", "data": data]
    do {
        let again = try PrometheusResult.parse(body: written.serializedBytes(), httpStatus: 200)
        if !same(again, result) {
            fatalError("a re-written result parses differently: \(result) vs \(again); body \(String(decoding: body, as: UTF8.self).debugDescription)")
        }
    } catch {
        fatalError("a re-written result does not parse: \(error); written \(written.serialized())")
    }
}

/// Equality where NaN equals NaN.
func same(_ a: PrometheusResult, _ b: PrometheusResult) -> Bool {
    func eq(_ x: Double, _ y: Double) -> Bool { x == y || (x.isNaN && y.isNaN) }
    switch (a, b) {
    case (.scalar(let x), .scalar(let y)): return eq(x, y)
    case (.other(let x), .other(let y)): return x == y
    case (.vector(let xs), .vector(let ys)):
        return xs.count == ys.count && zip(xs, ys).allSatisfy { $0.labels == $1.labels && eq($0.value, $1.value) }
    default: return false
    }
}

/// From 5 replicas, with every rule of the matrix plus a request-rate rule,
/// over two intervals far enough apart for the idle and stabilisation timers:
/// a missing or unavailable signal must hold the replicas or scale up.
func checkNoScaleDownOnMissingData(p95: SignalValue, gpu: SignalValue, rate: SignalValue) {
    var policy = ScalingPolicy.matrix
    policy.requestRate = RequestRateRule(capacityPerReplicaRPS: 10)
    let observation = Observation(p95Latency: p95, gpuUtilization: gpu, requestRate: rate,
                                  currentReplicas: 5, readyReplicas: 5)
    var state = ScalerState()
    for now in [0.0, 400.0, 1_000.0] {
        let decision = decide(policy: policy, state: state, observation: observation, now: now)
        state = decision.state
        let unusable = [p95, gpu, rate].contains { signal in
            switch signal {
            case .missing, .unavailable: return true
            case .value, .noData: return false
            }
        }
        if unusable && decision.targetReplicas < 5 {
            fatalError("scaled down to \(decision.targetReplicas) with signals p95 \(p95), gpu \(gpu), rate \(rate): \(decision.reason)")
        }
    }
}
