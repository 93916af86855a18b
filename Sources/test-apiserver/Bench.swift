import ArgumentParser
import Foundation
import JSONValue
import TestAPIServer

/// Prints throughput and memory figures for the test API server over real
/// HTTP on 127.0.0.1: creates, lists, watch events, resident memory.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmark the server: objects/s, events/s, memory.")

    @Option(help: "Objects to create.") var objects: Int = 10_000
    @Option(help: "Concurrent HTTP clients.") var concurrency: Int = 8
    @Option(help: "Watch events to generate.") var events: Int = 10_000

    func run() async throws {
        guard objects > 0, concurrency > 0, events > 0 else { throw ValidationError("--objects, --concurrency and --events must be positive") }
        let server = TestAPIServer()
        let port = try await server.start()
        let client = LoopbackClient(port: port)
        let crd = try JSON.parse(BenchFixtures.crd)
        guard try await client.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json: crd).status == 201 else {
            throw ValidationError("CRD was not accepted")
        }
        let collection = "/apis/serving.swiftinfer.io/v1alpha1/namespaces/default/inferenceservices"
        let rssBefore = Self.residentMiB()
        let clock = ContinuousClock()

        let createStart = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    for i in stride(from: worker, to: objects, by: concurrency) {
                        let response = try await client.request("POST", collection, json: BenchFixtures.object(i))
                        guard response.status == 201 else { throw ValidationError("create \(i) answered \(response.status): \(response.text)") }
                    }
                }
            }
            try await group.waitForAll()
        }
        let createSeconds = (clock.now - createStart).seconds
        let rssAfter = Self.residentMiB()
        print(String(format: "create: %d objects over HTTP (%d clients) in %.2f s = %.0f objects/s", objects, concurrency, createSeconds, Double(objects) / createSeconds))
        print(String(format: "memory: resident %.1f MiB before, %.1f MiB after %d objects (+%.1f MiB, %.2f KiB/object)",
                     rssBefore, rssAfter, objects, rssAfter - rssBefore, (rssAfter - rssBefore) * 1024 / Double(objects)))

        let listStart = clock.now
        let list = try await client.request("GET", collection)
        let listSeconds = (clock.now - listStart).seconds
        let count = list.json?["items"]?.arrayValue?.count ?? 0
        print(String(format: "list: %d objects (%.1f MiB JSON) in one request in %.3f s = %.0f objects/s", count,
                     Double(list.body.count) / 1_048_576, listSeconds, Double(count) / listSeconds))

        let pageStart = clock.now
        var token: String?
        var paged = 0
        repeat {
            let page = try await client.request("GET", collection + "?limit=500" + (token.map { "&continue=\($0)" } ?? "")).json
            paged += page?["items"]?.arrayValue?.count ?? 0
            token = page?[path: "metadata", "continue"]?.stringValue
        } while token != nil
        let pageSeconds = (clock.now - pageStart).seconds
        print(String(format: "list: %d objects in pages of 500 in %.3f s = %.0f objects/s", paged, pageSeconds, Double(paged) / pageSeconds))

        let selectorStart = clock.now
        let selected = try await client.request("GET", collection + "?labelSelector=shard%3D7").json?["items"]?.arrayValue?.count ?? 0
        print(String(format: "list: label selector picked %d of %d in %.3f s", selected, count, (clock.now - selectorStart).seconds))

        let rv = list.json?[path: "metadata", "resourceVersion"]?.stringValue ?? "0"
        let watchTarget = collection + "?watch=1&resourceVersion=\(rv)&timeoutSeconds=120"
        let target = events
        let watchSeconds = try await client.stream(watchTarget) { lines -> Double in
            let type = server.cluster.servedTypes.first { $0.plural == "inferenceservices" }
            guard let type else { throw ValidationError("inferenceservices not served") }
            let start = clock.now
            for i in 0..<target {
                let name = "bench-\(i % objects)"
                _ = try server.cluster.patch(type, namespace: "default", name: name, patchType: .merge,
                                             body: ["metadata": ["annotations": ["tick": .string(String(i))]]])
            }
            var received = 0
            while received < target, try await lines.nextLine() != nil { received += 1 }
            guard received == target else { throw ValidationError("watch ended after \(received) of \(target) events") }
            return (clock.now - start).seconds
        }
        print(String(format: "watch: %d MODIFIED events written and received over one watch in %.2f s = %.0f events/s", target, watchSeconds, Double(target) / watchSeconds))
        print(String(format: "memory: resident %.1f MiB at the end (watch history of %d events included)", Self.residentMiB(), objects + target))

        let deletions = min(objects, 1000)
        let deleteStart = clock.now
        for i in 0..<deletions {
            let response = try await client.request("DELETE", collection + "/bench-\(i)")
            guard response.status == 200 else { throw ValidationError("delete \(i) answered \(response.status)") }
        }
        let deleteSeconds = (clock.now - deleteStart).seconds
        print(String(format: "delete: %d of %d objects over HTTP (1 client, garbage collector included) in %.2f s = %.0f objects/s",
                     deletions, objects, deleteSeconds, Double(deletions) / deleteSeconds))
        try await server.shutdown()
    }

    /// VmRSS from /proc/self/status, in MiB (0 where /proc is missing).
    static func residentMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kib / 1024
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

enum BenchFixtures {
    static let crd = """
        {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"inferenceservices.serving.swiftinfer.io"},
         "spec":{"group":"serving.swiftinfer.io","scope":"Namespaced","names":{"plural":"inferenceservices","kind":"InferenceService","shortNames":["infsvc"]},
         "versions":[{"name":"v1alpha1","served":true,"storage":true,"subresources":{"status":{}},
           "schema":{"openAPIV3Schema":{"type":"object","properties":{
             "spec":{"type":"object","required":["model"],"properties":{"model":{"type":"string"},"minReplicas":{"type":"integer","default":2},
               "maxReplicas":{"type":"integer","maximum":16,"default":16},"targetP95Milliseconds":{"type":"integer","default":150}}},
             "status":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}}}]}}
        """

    static func object(_ i: Int) -> JSON {
        ["apiVersion": "serving.swiftinfer.io/v1alpha1", "kind": "InferenceService",
         "metadata": ["name": .string("bench-\(i)"), "labels": ["app": "bench", "shard": .string(String(i % 10))]],
         "spec": ["model": .string("s3://models/resnet-\(i).onnx")]]
    }
}
