// Prints throughput and memory figures for `CurlTransport`; see
// scripts/bench-http.sh, which starts the servers and passes the URLs.
//
//   http-bench --url http://127.0.0.1:8080/small --concurrency 1,16 --seconds 5
//   http-bench --url https://127.0.0.1:8443/small --ca ca.pem --concurrency 16
//   http-bench --stream-url http://127.0.0.1:8081/endless?interval=1 --streams 100 --hold 5
import Foundation
import HTTP

struct BenchOptions {
    var url: String?
    var concurrency: [Int] = [1, 16]
    var seconds = 5.0
    var streamURL: String?
    var streams = 100
    var hold = 5.0
    /// PEM file of the CA that signed the server's certificate (https URLs).
    var caFile: String?

    init(_ arguments: [String]) throws {
        var index = 0
        func value() throws -> String {
            index += 1
            guard index < arguments.count else { throw BenchError("missing value for \(arguments[index - 1])") }
            return arguments[index]
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--url": url = try value()
            case "--concurrency":
                let text = try value()
                concurrency = try text.split(separator: ",").map {
                    guard let level = Int($0), level > 0 else { throw BenchError("bad concurrency '\(text)'") }
                    return level
                }
            case "--seconds": seconds = try Self.positive(try value(), "--seconds")
            case "--stream-url": streamURL = try value()
            case "--streams": streams = Int(try Self.positive(try value(), "--streams"))
            case "--hold": hold = try Self.positive(try value(), "--hold")
            case "--ca": caFile = try value()
            case let other: throw BenchError("unknown argument '\(other)'")
            }
            index += 1
        }
        if url == nil && streamURL == nil { throw BenchError("give --url and/or --stream-url") }
    }

    static func positive(_ text: String, _ name: String) throws -> Double {
        guard let number = Double(text), number > 0 else { throw BenchError("\(name) needs a positive number, got '\(text)'") }
        return number
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Resident set size of this process in KiB, from /proc/self/status.
func residentKiB() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
    }
    return -1
}

/// User + system CPU time of this process in seconds, from /proc/self/stat.
func cpuSeconds() -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return -1 }
    // Fields after "(comm)": state is field 3; utime and stime are 14 and 15.
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return -1 }
    return (user + system) / 100
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

func benchmarkRequests(url: String, concurrency: Int, seconds: Double, tls: TLSConfiguration) async throws {
    let transport = try CurlTransport(tls: tls)
    // Warm up: open the connections once.
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<concurrency { group.addTask { _ = try await transport.send(HTTPRequest(url: url)) } }
        try await group.waitForAll()
    }
    let clock = ContinuousClock()
    let deadline = clock.now + .milliseconds(Int(seconds * 1000))
    let started = clock.now
    let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
        for _ in 0..<concurrency {
            group.addTask {
                var mine: [Duration] = []
                while clock.now < deadline {
                    let begin = clock.now
                    let response = try await transport.send(HTTPRequest(url: url))
                    guard response.status == 200 else { throw BenchError("status \(response.status) from \(url)") }
                    mine.append(clock.now - begin)
                }
                return mine
            }
        }
        return try await group.reduce(into: [Duration]()) { $0 += $1 }
    }
    let elapsed = milliseconds(clock.now - started) / 1000
    let sorted = latencies.sorted()
    func percentile(_ p: Double) -> Double {
        sorted.isEmpty ? 0 : milliseconds(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))])
    }
    let line = String(format: "requests  concurrency=%-3d n=%-7d %9.0f req/s   p50=%.3f ms  p99=%.3f ms  connections=%d",
                      concurrency, sorted.count, Double(sorted.count) / elapsed, percentile(0.5), percentile(0.99),
                      transport.statistics.connectionsOpened)
    print(line)
}

func benchmarkStreams(url: String, count: Int, hold: Double, tls: TLSConfiguration) async throws {
    let before = residentKiB()
    let cpuBefore = cpuSeconds()
    let transport = try CurlTransport(tls: tls)
    let lines = try await withThrowingTaskGroup(of: Int.self) { group in
        for _ in 0..<count {
            group.addTask {
                let response = try await transport.stream(HTTPRequest(url: url, timeout: .milliseconds(Int(hold * 1000))))
                guard response.status == 200 else { throw BenchError("status \(response.status) from \(url)") }
                var seen = 0
                do {
                    for try await _ in response.lines { seen += 1 }
                } catch HTTPError.timedOut {
                    // The hold period ended: that is how these streams stop.
                }
                return seen
            }
        }
        // Sample memory in the middle of the hold, when all streams are open.
        try await Task.sleep(for: .milliseconds(Int(hold * 500)))
        let during = residentKiB()
        let stats = transport.statistics
        print(String(format: "streams   open=%d  rss_before=%.1f MiB  rss_open=%.1f MiB  delta=%.1f MiB (%.1f KiB/stream)  buffered=%d B",
                     stats.activeTransfers, Double(before) / 1024, Double(during) / 1024,
                     Double(during - before) / 1024, Double(during - before) / Double(max(1, count)), stats.bufferedBodyBytes))
        return try await group.reduce(0, +)
    }
    print(String(format: "streams   lines received=%d over %.0f s; connections=%d; cpu=%.2f s",
                 lines, hold, transport.statistics.connectionsOpened, cpuSeconds() - cpuBefore))
}

do {
    let options = try BenchOptions(Array(CommandLine.arguments.dropFirst()))
    var tls = TLSConfiguration()
    if let caFile = options.caFile {
        guard let pem = FileManager.default.contents(atPath: caFile) else { throw BenchError("cannot read \(caFile)") }
        tls.caPEM = [UInt8](pem)
    }
    if let url = options.url {
        for level in options.concurrency {
            try await benchmarkRequests(url: url, concurrency: level, seconds: options.seconds, tls: tls)
        }
    }
    if let streamURL = options.streamURL {
        try await benchmarkStreams(url: streamURL, count: options.streams, hold: options.hold, tls: tls)
    }
} catch {
    FileHandle.standardError.write(Data("http-bench: \(error)\n".utf8))
    exit(1)
}
