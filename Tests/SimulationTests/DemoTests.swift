import Foundation
import JSONValue
import Simulation
import TestSupport
import Testing

/// What `make demo` relies on: the trace segment it ships, no path that only
/// exists on the machine it was written on, and `simulate --object`, which
/// its summary runs on the same load with the demo object's own policy.
@Suite struct DemoTests {
    static let root = SimulateCommandTests.root
    static let segment = root.appendingPathComponent("scripts/demo-data/azure-code-burst-500-850s.csv")

    /// Centred moving average (the demo driver's first step).
    static func smoothed(_ values: [Double], window: Int) -> [Double] {
        values.indices.map { i in
            let lo = max(0, i - window / 2), hi = min(values.count - 1, i + window - window / 2 - 1)
            return values[lo...hi].reduce(0, +) / Double(hi - lo + 1)
        }
    }

    @Test func theShippedSegmentParsesAndHasARiseAndAFall() throws {
        let trace = try Trace.parse(csv: String(contentsOf: Self.segment, encoding: .utf8), name: "segment")
        #expect(trace.rps.count == 350)
        #expect(trace.bucketSeconds == 1)
        let level = Self.smoothed(trace.rps, window: 60)
        let peak = try #require(level.max())
        let peakAt = try #require(level.firstIndex(of: peak))
        // Quiet, then a rise to a peak well inside the segment, then quiet again for long
        // enough that the demo's scale-down (30 s window, 60 s after a change) fits.
        #expect((60...200).contains(peakAt), "peak at \(peakAt) s")
        #expect(level[..<40].allSatisfy { $0 < peak / 5 }, "the first 40 s are quiet")
        #expect(level[240...].allSatisfy { $0 < peak / 10 }, "the last 80 s are quiet")
        #expect(peak > 5, "a real burst: \(peak) requests/s over a minute")
    }

    @Test func theSegmentCarriesItsLicenceAndAttribution() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("scripts/demo-data/README.md"), encoding: .utf8)
        for fragment in ["CC-BY-4.0", "Patel et al.", "Splitwise", "ISCA 2024", "AzurePublicDataset", "azure-code-burst-500-850s.csv"] {
            #expect(readme.contains(fragment), "\(fragment)")
        }
    }

    /// A fresh clone has no `../shared` and no `/work`: the demo must run from what the repository ships.
    @Test(arguments: ["scripts/demo.sh", "scripts/demo_driver.py", "scripts/demo-data/README.md", "README.md"])
    func demoFilesNameNoMachineSpecificPath(_ file: String) throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent(file), encoding: .utf8)
        for fragment in ["/work/", "/home/", "/root/", "../shared"] {
            #expect(!text.contains(fragment), "\(file) names \(fragment)")
        }
    }

    static func object(capacity: Double?, min: Int = 1, max: Int = 4, thresholdMs: Int = 250) -> String {
        """
        apiVersion: serving.swiftinfer.io/v1alpha1
        kind: InferenceService
        metadata: {name: demo, namespace: ml}
        spec:
          model: {name: minilm, uri: "file:///models/model.onnx"}
          replicas: {min: \(min), max: \(max)}
          autoscaling:
            intervalSeconds: 3
            rules:
              latency: {thresholdMs: \(thresholdMs)}
        \(capacity.map { "      requestRate: {capacityPerReplicaRPS: \($0)}\n      burst: {windowSeconds: 10, holdSeconds: 30}" } ?? "")
            scaleDown: {stabilizationWindowSeconds: 30}

        """
    }

    @Test(.disabled(if: !SimulateCommandTests.built, "skipped: build inference-operator first (make test does)"))
    func anObjectBecomesTheDefaultPolicyAsTheOperatorMapsIt() async throws {
        let directory = try SimulateCommandTests.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let withRate = directory.appendingPathComponent("object.yaml").path
        try Self.object(capacity: 20).write(toFile: withRate, atomically: true, encoding: .utf8)
        let printed = try await Subprocess.run(SimulateCommandTests.binary, ["simulate", "--print-default-policy", "--object", withRate])
        #expect(printed.status == 0, "\(printed.output)")
        let policy = try JSON.parse(printed.output)
        #expect(policy["minReplicas"]?.intValue == 1)
        #expect(policy["maxReplicas"]?.intValue == 4)
        #expect(policy["evaluationIntervalSeconds"]?.doubleValue == 3)
        #expect(policy[path: "latency", "thresholdMilliseconds"]?.doubleValue == 250)
        #expect(policy[path: "requestRate", "capacityPerReplicaRPS"]?.doubleValue == 20)
        #expect(policy[path: "scaleDown", "stabilizationWindowSeconds"]?.doubleValue == 30)
        #expect(policy[path: "burst", "windowSeconds"]?.doubleValue == 10)
        #expect(policy[path: "burst", "holdSeconds"]?.doubleValue == 30)

        // Without capacityPerReplicaRPS the object runs its matrix rules alone.
        let matrixOnly = directory.appendingPathComponent("matrix.yaml").path
        try Self.object(capacity: nil).write(toFile: matrixOnly, atomically: true, encoding: .utf8)
        let matrix = try JSON.parse(try await Subprocess.run(SimulateCommandTests.binary,
                                                             ["simulate", "--print-default-policy", "--object", matrixOnly]).output)
        #expect(matrix["requestRate"] == nil && matrix["burst"] == nil && matrix["scaleDown"] == nil)
        #expect(matrix["evaluationIntervalSeconds"]?.doubleValue == 3)
    }

    @Test(.disabled(if: !SimulateCommandTests.built, "skipped: build inference-operator first (make test does)"))
    func anObjectsBoundsAndThresholdHoldForEveryPolicy() async throws {
        let directory = try SimulateCommandTests.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let trace = try SimulateCommandTests.writeTrace(in: directory)
        let pinned = directory.appendingPathComponent("pinned.yaml").path
        try Self.object(capacity: 10, min: 3, max: 3, thresholdMs: 300).write(toFile: pinned, atomically: true, encoding: .utf8)
        let result = try await Subprocess.run(SimulateCommandTests.binary,
                                              ["simulate", "--trace", trace, "--object", pinned, "--scrape-interval", "1",
                                               "--rate-window", "10", "--json"])
        #expect(result.status == 0, "\(result.output)")
        let report = try JSON.parse(result.output)
        #expect(report["slo_ms"]?.doubleValue == 300)
        let seconds = try #require(report["duration_s"]?.doubleValue)
        for name in SimulateCommandTests.policies {
            // min = max = 3: nobody can scale, whatever it reads.
            #expect(report[path: "policies", name, "replica_seconds"]?.doubleValue == 3 * seconds, "\(name)")
            #expect(report[path: "policies", name, "scale_events"]?.intValue == 0, "\(name)")
        }
    }

    @Test(.disabled(if: !SimulateCommandTests.built, "skipped: build inference-operator first (make test does)"),
          arguments: [
            (["--default-policy-json", "p.json"], "give --object or --default-policy-json, not both"),
            (["--idle-p95-ms", "300"], "--idle-p95-ms must be in (0, 250): the SLO is 250 ms"),
          ])
    func objectConflictsAreRejectedNamingTheOption(extra: [String], message: String) async throws {
        let directory = try SimulateCommandTests.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let trace = try SimulateCommandTests.writeTrace(in: directory)
        let object = directory.appendingPathComponent("object.yaml").path
        try Self.object(capacity: 10).write(toFile: object, atomically: true, encoding: .utf8)
        let result = try await Subprocess.run(SimulateCommandTests.binary, ["simulate", "--trace", trace, "--object", object] + extra)
        #expect(result.status == 64, "\(result.output)")
        #expect(result.output.contains(message), "\(result.output)")
    }
}
