import Foundation

/// A real Prometheus (Debian's `prometheus` package) started on 127.0.0.1
/// with a temporary configuration, for tests that query real PromQL.
public final class PrometheusServer: @unchecked Sendable {
    public struct Target: Sendable {
        public var address: String
        public var labels: [String: String]
        public init(address: String, labels: [String: String] = [:]) {
            self.address = address
            self.labels = labels
        }
    }

    public static let binary = "/usr/bin/prometheus"
    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    public let port: Int
    public let process: ManagedProcess
    /// The configuration file it reads (rewritten and reloaded by tests that start it with `lifecycle`).
    public let configPath: String
    public var url: String { "http://127.0.0.1:\(port)" }

    /// Starts Prometheus scraping `targets` every `scrapeInterval` and waits until it answers.
    /// `fileSD`: a file_sd JSON file, re-read every second, for targets that come and go
    /// (pods that `scripts/local_node.py` starts and stops). `lifecycle`: `POST /-/reload`
    /// re-reads `configPath` (what prometheus-operator's config reloader does).
    public static func start(targets: [Target], scrapeInterval: String = "1s", fileSD: String? = nil,
                             lifecycle: Bool = false) async throws -> PrometheusServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("prom-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var config = """
            global:
              scrape_interval: \(scrapeInterval)
              evaluation_interval: \(scrapeInterval)
            scrape_configs:
            """
        for (index, target) in targets.enumerated() {
            let labels = target.labels.sorted { $0.key < $1.key }.map { "\($0.key): \"\($0.value)\"" }.joined(separator: ", ")
            config += """

                - job_name: target\(index)
                  static_configs:
                  - targets: ["\(target.address)"]
                    labels: {\(labels)}
                """
        }
        if let fileSD {
            config += """

                - job_name: file-sd
                  file_sd_configs: [{files: ["\(fileSD)"], refresh_interval: 1s}]
                """
        }
        let configPath = directory.appendingPathComponent("prometheus.yml").path
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let port = try freePort()
        let process = try ManagedProcess(binary, [
            "--config.file=\(configPath)", "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
            "--web.listen-address=127.0.0.1:\(port)", "--storage.tsdb.retention.time=1h", "--log.level=warn",
        ] + (lifecycle ? ["--web.enable-lifecycle"] : []), logName: "prometheus")
        let server = PrometheusServer(port: port, process: process, configPath: configPath)
        let ready = await eventually(timeout: .seconds(60)) {
            let result = try? await Subprocess.run("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(port)/-/ready"])
            return result?.status == 0
        }
        guard ready else { throw PrometheusStartError(log: process.log) }
        return server
    }

    init(port: Int, process: ManagedProcess, configPath: String) {
        self.port = port
        self.process = process
        self.configPath = configPath
    }

    public func stop() async { await process.stop() }
}

public struct PrometheusStartError: Error, CustomStringConvertible {
    public let log: String
    public var description: String { "Prometheus did not become ready: \(log.suffix(2000))" }
}

/// A free TCP port on 127.0.0.1 (bound and released; a race with other
/// processes is possible but unlikely on a test machine).
public func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EMFILE) }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
