#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A request-rate trace (`t_s,rps[,extra…]`), expanded to one value per
/// second: a bucket's rate holds for the whole bucket.
public struct Trace: Sendable {
    public var name: String
    /// Requests per second, one entry per second from t = 0.
    public var rps: [Double]
    /// Seconds per bucket in the file (1 or 10 for the shared traces).
    public var bucketSeconds: Int

    public init(name: String, rps: [Double], bucketSeconds: Int) {
        self.name = name
        self.rps = rps
        self.bucketSeconds = bucketSeconds
    }

    /// Whether the goals judge this trace as bursty (line min(97, O − 3),
    /// cost ≤ 1.6×) rather than smooth (min(99, O − 1), ≤ 1.3×): when its
    /// sudden rises (`suddenRises`) are more than 1% of its minutes. Each
    /// sudden rise costs a policy that reacts to what it has seen about a
    /// minute, and 1% of minutes is all the smooth line leaves it below the
    /// oracle, so more than that puts the smooth line out of any causal
    /// policy's reach. Computed from the rates alone, never from the name.
    public var isBursty: Bool {
        let minutes = Double(rps.count) / 60
        return minutes > 0 && Double(suddenRises) > 0.01 * minutes
    }

    /// Rises of the 1-minute mean rate faster than a reactive policy can
    /// follow. The mean of the last 60 s is read every 15 s (a Prometheus
    /// `rate(...[1m])` at the scrape interval); a reading is a sudden rise
    /// when it is at least twice the lowest of the four readings before it
    /// (Knative's panic threshold: demand at 200% of what the stable window
    /// saw) and above it by at least an eighth of the trace's peak minute
    /// (one replica of the eight the simulator normalises the peak to:
    /// smaller rises fit in the minimum replicas' headroom). Readings within
    /// 60 s of a counted rise are the same rise. Readings start once the
    /// window and the four before it lie inside the trace, so the trace's
    /// own start is not a rise.
    public var suddenRises: Int {
        let window = 60, every = 15, before = 4
        guard rps.count >= 2 * window else { return 0 }
        var prefix = [0.0]
        prefix.reserveCapacity(rps.count + 1)
        for r in rps { prefix.append(prefix[prefix.count - 1] + r) }
        let readings = stride(from: window, through: rps.count, by: every).map { (prefix[$0] - prefix[$0 - window]) / Double(window) }
        let step = peakMinuteRate / 8
        var rises = 0
        var lastRise = -Int.max / 2
        for i in before..<readings.count {
            let lowest = readings[(i - before)..<i].min() ?? 0
            let t = window + i * every
            if readings[i] >= 2 * lowest, readings[i] - lowest >= step, step > 0, t - lastRise >= window {
                rises += 1
                lastRise = t
            }
        }
        return rises
    }

    public static func load(path: String) throws(SimulationError) -> Trace {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadableTrace(path: path, reason: ErrorText.plain(error))
        }
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return try parse(csv: String(decoding: data, as: UTF8.self), name: name, path: path)
    }

    /// Parses the CSV text. Rows must have increasing `t_s` on a regular
    /// bucket grid starting at 0; `rps` must be a finite number ≥ 0.
    public static func parse(csv: String, name: String, path: String = "<trace>") throws(SimulationError) -> Trace {
        var lines = csv.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" }).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        guard let header = lines.first else { throw .invalidTrace(path: path, line: 1, reason: "empty file, expected header t_s,rps") }
        let columns = header.split(separator: ",").map { String($0.trimmedOfBlanks) }
        guard columns.count >= 2, columns[0] == "t_s", columns[1] == "rps" else {
            throw .invalidTrace(path: path, line: 1, reason: "header must start with t_s,rps, got \"\(header)\"")
        }
        var times: [Int] = []
        var rates: [Double] = []
        times.reserveCapacity(lines.count)
        rates.reserveCapacity(lines.count)
        for (index, line) in lines.enumerated().dropFirst() {
            let lineNumber = index + 1
            let fields = line.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count >= 2 else { throw .invalidTrace(path: path, line: lineNumber, reason: "expected t_s,rps, got \"\(line)\"") }
            guard let t = Double(fields[0].trimmedOfBlanks), t.isFinite, t >= 0, t == t.rounded() else {
                throw .invalidTrace(path: path, line: lineNumber, reason: "t_s \"\(fields[0])\" is not a whole number of seconds ≥ 0")
            }
            guard let r = Double(fields[1].trimmedOfBlanks), r.isFinite, r >= 0 else {
                throw .invalidTrace(path: path, line: lineNumber, reason: "rps \"\(fields[1])\" is not a finite number ≥ 0")
            }
            times.append(Int(t))
            rates.append(r)
        }
        guard !times.isEmpty else { throw .invalidTrace(path: path, line: 2, reason: "no data rows") }
        guard times[0] == 0 else { throw .invalidTrace(path: path, line: 2, reason: "first t_s must be 0, got \(times[0])") }
        let bucket = times.count > 1 ? times[1] - times[0] : 1
        guard bucket > 0 else { throw .invalidTrace(path: path, line: 3, reason: "t_s must increase") }
        for i in 1..<times.count where times[i] - times[i - 1] != bucket {
            throw .invalidTrace(path: path, line: i + 2, reason: "t_s \(times[i]) breaks the \(bucket) s bucket grid (previous \(times[i - 1]))")
        }
        var perSecond: [Double] = []
        perSecond.reserveCapacity(times.count * bucket)
        for rate in rates {
            for _ in 0..<bucket { perSecond.append(rate) }
        }
        return Trace(name: name, rps: perSecond, bucketSeconds: bucket)
    }

    /// The highest mean rate over any 60 consecutive seconds (the whole
    /// trace's mean when it is shorter).
    public var peakMinuteRate: Double {
        let window = min(60, rps.count)
        guard window > 0 else { return 0 }
        var sum = rps[0..<window].reduce(0, +)
        var best = sum
        var i = window
        while i < rps.count {
            sum += rps[i] - rps[i - window]
            best = max(best, sum)
            i += 1
        }
        return best / Double(window)
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs. (Foundation's
    /// `trimmingCharacters(in:)` bridges through NSString: it took a third
    /// of the time of simulating the ServeGen week.)
    var trimmedOfBlanks: Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" { result.removeLast() }
        return result
    }
}
