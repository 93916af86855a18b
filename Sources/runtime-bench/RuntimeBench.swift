import ControllerRuntime
import Foundation
import HTTP
import JSONValue
import KubeAPI
import KubeClient
import Logging
import Synchronization
import TestAPIServer

/// Controller-runtime benchmark (printed figures): informer initial
/// list+sync of N objects over real HTTP (libcurl), steady watch throughput,
/// memory per cached object; work queue adds/s and keys/s with a no-op
/// reconciler on 4 workers. Usage: runtime-bench [OBJECTS] [EVENTS] [KEYS]
@main
struct RuntimeBench {
    static func residentMiB() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kb / 1024
    }

    static func main() async throws {
        let args = CommandLine.arguments.dropFirst().compactMap { Int($0) }
        let objects = args.first ?? 10_000
        let events = args.dropFirst().first ?? 10_000
        let keys = args.dropFirst(2).first ?? 200_000
        var logger = Logger(label: "bench")
        logger.logLevel = .error

        let server = TestAPIServer()
        let port = try await server.start()
        guard let configMaps = server.cluster.servedTypes.first(where: { $0.plural == "configmaps" }) else { return }
        for i in 0..<objects {
            _ = try server.cluster.create(configMaps, namespace: "default", body: [
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": ["name": .string("cm-\(i)"), "namespace": "default", "labels": ["shard": .string(String(i % 16))]],
                "data": ["model": .string("m\(i)"), "uri": "file:///models/model.onnx"]])
        }
        let client = KubeClient(configuration: KubeClientConfiguration(server: "http://127.0.0.1:\(port)"), transport: try CurlTransport())
        let informer = Informer<ConfigMap>(client: client, logger: logger)
        let deltas = informer.subscribe()
        let rssBefore = residentMiB()
        let clock = ContinuousClock()
        let seen = SharedCount()
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await informer.run() }
            group.addTask {
                for await _ in deltas { seen.increment() }
            }
            _ = await informer.waitForSync()
            let synced = clock.now - start
            let rssAfter = residentMiB()
            print(String(format: "informer: initial list+sync of %d objects in %.2f s (%.0f objects/s)", objects,
                         synced.seconds, Double(objects) / synced.seconds))
            print(String(format: "informer: resident %.1f -> %.1f MiB, %.2f KiB per cached object (store + index + decoded model)",
                         rssBefore, rssAfter, (rssAfter - rssBefore) * 1024 / Double(objects)))

            while seen.value < objects { try await Task.sleep(for: .milliseconds(5)) }
            let target = objects + events
            let watchStart = clock.now
            for i in 0..<events {
                _ = try server.cluster.patch(configMaps, namespace: "default", name: "cm-\(i % objects)", patchType: .merge,
                                             body: ["data": ["tick": .string(String(i))]])
            }
            while seen.value < target { try await Task.sleep(for: .milliseconds(2)) }
            let watched = clock.now - watchStart
            print(String(format: "informer: %d watch events applied to the store in %.2f s (%.0f events/s, writes included)",
                         events, watched.seconds, Double(events) / watched.seconds))
            group.cancelAll()
        }

        let queue = WorkQueue(name: "bench")
        let processed = SharedCount()
        let controller = Controller(name: "bench", queue: queue, workers: 4, logger: logger) { _ in
            processed.increment()
            return .done
        }
        let addStart = clock.now
        for i in 0..<keys { await queue.add("ns/key-\(i)") }
        let added = clock.now - addStart
        print(String(format: "queue: %d adds in %.2f s (%.0f adds/s)", keys, added.seconds, Double(keys) / added.seconds))
        let runStart = clock.now
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await controller.run() }
            while processed.value < keys { try? await Task.sleep(for: .milliseconds(5)) }
            group.cancelAll()
        }
        let ran = clock.now - runStart
        print(String(format: "queue: %d keys processed by a no-op reconciler on 4 workers in %.2f s (%.0f keys/s)",
                     keys, ran.seconds, Double(keys) / ran.seconds))
        try await server.shutdown()
    }
}

/// A counter shared with concurrent tasks.
final class SharedCount: Sendable {
    private let mutex = Mutex(0)
    func increment() { mutex.withLock { $0 += 1 } }
    var value: Int { mutex.withLock { $0 } }
}
