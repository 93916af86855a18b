import JSONValue

/// The failures of the Prometheus client, with what a caller can act on.
public enum PrometheusError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Nothing usable came back from the wire (includes timeouts).
    case transport(String)
    /// Prometheus answered `status: "error"`: `errorType` such as
    /// `bad_data`, `timeout`, `execution`, `canceled`, `unavailable`.
    case query(errorType: String, message: String, httpStatus: Int)
    /// 401/403: credentials missing or wrong.
    case unauthorized(httpStatus: Int, message: String)
    /// The answer was not the JSON we expect (proxy page, truncated body…).
    case badResponse(String)

    public var description: String {
        switch self {
        case .transport(let message): return "Prometheus unreachable: \(message)"
        case .query(let type, let message, let status): return "Prometheus query error \(type) (HTTP \(status)): \(message)"
        case .unauthorized(let status, let message): return "Prometheus refused our credentials (HTTP \(status)): \(message)"
        case .badResponse(let message): return "unexpected answer from Prometheus: \(message)"
        }
    }

    /// 401/403: Prometheus (or the proxy in front of it) refused the
    /// credentials we sent. Callers holding credentials from a Secret read
    /// it again; they decide on this case, never on the message's words.
    public var refusedCredentials: Bool {
        if case .unauthorized = self { return true }
        return false
    }
}

/// One series of an instant vector.
public struct PrometheusSample: Sendable, Hashable {
    public var labels: [String: String]
    public var value: Double
    public init(labels: [String: String], value: Double) {
        self.labels = labels
        self.value = value
    }
}

/// The `data` of a successful instant query.
public enum PrometheusResult: Sendable, Hashable {
    case vector([PrometheusSample])
    case scalar(Double)
    /// Range vectors and strings are parsed only far enough to say so.
    case other(resultType: String)

    /// Parses a whole `/api/v1/query` response body (success or error).
    public static func parse(body: [UInt8], httpStatus: Int) throws(PrometheusError) -> PrometheusResult {
        let json: JSON
        do {
            json = try JSON.parse(body)
        } catch {
            let snippet = String(decoding: body.prefix(120), as: UTF8.self)
            if httpStatus == 401 || httpStatus == 403 { throw .unauthorized(httpStatus: httpStatus, message: snippet) }
            throw .badResponse("HTTP \(httpStatus), body is not JSON (\(error.message)): \(snippet)")
        }
        guard let status = json["status"]?.stringValue else {
            throw .badResponse("HTTP \(httpStatus), no \"status\" field")
        }
        if status == "error" {
            let type = json["errorType"]?.stringValue ?? "unknown"
            let message = json["error"]?.stringValue ?? ""
            if httpStatus == 401 || httpStatus == 403 { throw .unauthorized(httpStatus: httpStatus, message: message) }
            throw .query(errorType: type, message: message, httpStatus: httpStatus)
        }
        guard status == "success" else { throw .badResponse("unknown status \"\(status)\"") }
        guard let data = json["data"], let resultType = data["resultType"]?.stringValue else {
            throw .badResponse("success without data.resultType")
        }
        switch resultType {
        case "vector":
            guard let items = data["result"]?.arrayValue else { throw .badResponse("vector without result array") }
            var samples: [PrometheusSample] = []
            samples.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                var labels: [String: String] = [:]
                if let metric = item["metric"]?.objectValue {
                    for (key, value) in metric {
                        guard let text = value.stringValue else { throw .badResponse("result[\(index)].metric.\(key) is not a string") }
                        labels[key] = text
                    }
                }
                guard let pair = item["value"] else { throw .badResponse("result[\(index)] has no value") }
                samples.append(PrometheusSample(labels: labels, value: try parseSampleValue(pair, at: "result[\(index)].value")))
            }
            return .vector(samples)
        case "scalar":
            guard let pair = data["result"] else { throw .badResponse("scalar without result") }
            return .scalar(try parseSampleValue(pair, at: "result"))
        default:
            return .other(resultType: resultType)
        }
    }

    /// `[<unix time>, "<value>"]`; values are strings and may be `NaN`,
    /// `+Inf`, `-Inf`.
    static func parseSampleValue(_ pair: JSON, at path: String) throws(PrometheusError) -> Double {
        guard let array = pair.arrayValue, array.count == 2, let text = array[1].stringValue else {
            throw .badResponse("\(path) is not [time, \"value\"]")
        }
        switch text {
        case "NaN": return .nan
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        default:
            guard let value = Double(text) else { throw .badResponse("\(path) value \"\(text)\" is not a number") }
            return value
        }
    }
}

extension SignalValue {
    /// Maps one sample's number to a signal state: NaN → noData, -Inf →
    /// unavailable (no latency, rate or utilisation can be negative
    /// infinity; reading it as a number would look "fast" or "idle").
    public init(sampleValue value: Double) {
        if value.isNaN {
            self = .noData
        } else if value == -.infinity {
            self = .unavailable("query returned -Inf")
        } else {
            self = .value(value)
        }
    }

    /// The signal of a query meant to yield one value (a per-object query):
    /// a scalar or a one-series vector; empty → missing; several series →
    /// unavailable (the query is ambiguous; we will not guess which).
    public init(singleResult result: PrometheusResult) {
        switch result {
        case .scalar(let value):
            self.init(sampleValue: value)
        case .vector(let samples):
            switch samples.count {
            case 0: self = .missing
            case 1: self.init(sampleValue: samples[0].value)
            default: self = .unavailable("query returned \(samples.count) series, expected 1")
            }
        case .other(let type):
            self = .unavailable("query returned a \(type), expected a vector or scalar")
        }
    }

    /// The signal for a failed query.
    public init(error: PrometheusError) {
        switch error {
        case .query(let type, let message, _): self = .unavailable("\(type): \(message)")
        default: self = .unavailable(error.description)
        }
    }
}
