import Foundation
import JSONValue
import KubeAPI
import KubeClient
@testable import Operator
import TestAPIServer
import TestSupport
import Testing

/// Models from object storage and the Hub, end to end: InferenceServices with
/// `s3://` (a static key from a Secret, and a web identity through an
/// IRSA-annotated ServiceAccount) and `hf://` (a token from a Secret), served by
/// real `inference-server` pods that `scripts/local_node.py` runs from the
/// operator's pod template (the `warmup` init container fetches, `serve`
/// loads), against moto's S3 with authentication on and the Hub stand-in
/// (`Tests/ModelFetchTests/Fixtures`). Each answers inference through its
/// Service. A wrong secret key sets `ModelFetchFailed` naming S3's refusal,
/// without the key, and leaves no model file behind.
@Suite(.serialized, .disabled(if: !InferenceServerProcess.available, "skipped: needs the venv and the built server (make test)"))
struct ModelStorageEndToEndTests {
    static let fixtures = packageRoot.appendingPathComponent("Tests/ModelFetchTests/Fixtures")

    static func inferenceService(_ name: String, uri: String, storage: JSON, extra: JSONObject = [:]) -> JSON {
        var spec: JSONObject = [
            "model": ["name": "scale", "uri": .string(uri), "storage": storage],
            "replicas": ["min": 1, "max": 2, "manual": 1],
            "autoscaling": ["mode": "Disabled", "intervalSeconds": 5],
            "warmup": ["enabled": false],
        ]
        for (key, value) in extra { spec[key] = value }
        return ["apiVersion": "serving.swiftinfer.io/v1alpha1", "kind": "InferenceService",
                "metadata": ["name": .string(name), "namespace": "ml"], "spec": .object(spec)]
    }

    static func secret(_ name: String, _ data: [String: String]) -> JSON {
        let encoded = data.mapValues { JSON.string(Data($0.utf8).base64EncodedString()) }
        return ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": .string(name), "namespace": "ml"],
                "data": .object(JSONObject(encoded.map { ($0.key, $0.value) }))]
    }

    /// Starts a fixture server that writes its port (or a JSON object) to a file; returns the file's text.
    static func startFixture(_ script: String, _ arguments: [String], logName: String) async throws -> (ManagedProcess, String) {
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("\(logName)-\(UUID().uuidString)").path
        let process = try ManagedProcess(InferenceServerProcess.python, [fixtures.appendingPathComponent(script).path, portFile] + arguments,
                                         logName: logName)
        var text: String?
        _ = await eventually(timeout: .seconds(60)) {
            text = FileManager.default.contents(atPath: portFile).map { String(decoding: $0, as: UTF8.self) }
            return text != nil || !process.isRunning
        }
        guard let text else { throw E2EError("\(script) did not start: \(process.log.suffix(2000))") }
        return (process, text)
    }

    @Test func s3AndHubModelsServeThroughTheInitContainerAndAWrongKeySetsTheCondition() async throws {
        let cluster = try await Cluster.start(simulateDeployments: false)
        try await cluster.createNamespace("ml")
        let workspace = try await ModelWorkspace.make("storage")
        defer { workspace.remove() }
        let work = workspace.root
        let models = workspace.models
        let model = models.appendingPathComponent("scale.onnx").path

        let (s3, s3Info) = try await Self.startFixture("s3_server.py", [model], logName: "moto")
        let (hub, hubPort) = try await Self.startFixture("hub_server.py", [model], logName: "hub")
        let info = try JSON.parse(s3Info)
        let s3Endpoint = "http://127.0.0.1:\(info["port"]?.intValue ?? 0)"
        let stsEndpoint = "http://127.0.0.1:\(info["stsPort"]?.intValue ?? 0)"
        let hubEndpoint = "http://127.0.0.1:\(hubPort.trimmingCharacters(in: .whitespacesAndNewlines))"
        let key = info["accessKeyId"]?.stringValue ?? ""
        let secretKey = info["secretAccessKey"]?.stringValue ?? ""

        _ = try await cluster.client.create(.secrets, Self.secret("s3-key", ["accessKeyId": key, "secretAccessKey": secretKey]), namespace: "ml")
        _ = try await cluster.client.create(.secrets, Self.secret("s3-wrong", ["accessKeyId": key, "secretAccessKey": "wrong-secret-value"]),
                                            namespace: "ml")
        _ = try await cluster.client.create(.secrets, Self.secret("hub-token", ["token": "secret-token"]), namespace: "ml")
        _ = try await cluster.client.create(.serviceAccounts, [
            "apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": ["name": "model-reader", "namespace": "ml",
                         "annotations": ["eks.amazonaws.com/role-arn": info["roleArn"] ?? ""]],
        ], namespace: "ml")

        let op = try await OperatorProcess.start(cluster: cluster, prometheusURL: "http://127.0.0.1:9")
        let state = work.appendingPathComponent("node-state.json").path
        let node = try ManagedProcess(InferenceServerProcess.python, [
            packageRoot.appendingPathComponent("scripts/local_node.py").path, "--api", "http://127.0.0.1:\(cluster.server.port)",
            "--namespace", "ml", "--server", InferenceServerProcess.bin + "/inference-server",
            "--targets", work.appendingPathComponent("targets.json").path, "--work-dir", work.appendingPathComponent("node").path,
            "--state", state,
            "--server-flag=--http-host", "--server-flag=127.0.0.1", "--server-flag=--intra-op-threads", "--server-flag=1",
        ], logName: "local-node")

        let objects: [JSON] = [
            Self.inferenceService("s3-key", uri: "s3://models/real/model.onnx",
                                  storage: ["endpoint": .string(s3Endpoint), "region": "us-east-1", "credentialsSecretRef": ["name": "s3-key"]]),
            // A web identity: the ServiceAccount's role, STS at the fixture's front door (as a private STS endpoint is set).
            Self.inferenceService("s3-irsa", uri: "s3://models/real/", storage: ["endpoint": .string(s3Endpoint)],
                                  extra: ["serviceAccountName": "model-reader",
                                          "env": [["name": "AWS_ENDPOINT_URL_STS", "value": .string(stsEndpoint)]]]),
            Self.inferenceService("hub", uri: "hf://org/real",
                                  storage: ["endpoint": .string(hubEndpoint), "credentialsSecretRef": ["name": "hub-token"]]),
            Self.inferenceService("s3-wrong", uri: "s3://models/real/model.onnx",
                                  storage: ["endpoint": .string(s3Endpoint), "credentialsSecretRef": ["name": "s3-wrong"]]),
            Self.inferenceService("s3-missing", uri: "s3://models/absent/model.onnx",
                                  storage: ["endpoint": .string(s3Endpoint), "credentialsSecretRef": ["name": "s3-key"]]),
        ]
        for object in objects { _ = try await cluster.client.create(inferenceServiceType, object) }

        func context() async -> Comment {
            let pods = (try? await cluster.client.list(.pods, namespace: "ml"))?["items"]?.prettySerialized() ?? "?"
            return "pods:\n\(pods.suffix(3000))\noperator log:\n\(op.process.log.suffix(1500))\nnode log:\n\(node.log.suffix(2500))"
        }
        // Each good object: its pod fetched the model in the init container, `serve` loaded it, and
        // a request through its Service is answered by the model (y = 2x).
        for name in ["s3-key", "s3-irsa", "hub"] {
            var answer = ""
            let served = await eventually(timeout: .seconds(120)) {
                guard let text = FileManager.default.contents(atPath: state).map({ String(decoding: $0, as: UTF8.self) }),
                      let port = (try? JSON.parse(text))?[path: "services", "\(name)-predictor"]?.intValue else { return false }
                let result = try? await Subprocess.run("/usr/bin/curl", [
                    "-s", "-m", "5", "-H", "Content-Type: application/json", "-d",
                    #"{"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}"#,
                    "http://127.0.0.1:\(port)/v2/models/scale/infer",
                ])
                answer = result?.output ?? ""
                return (try? JSON.parse(answer))?["outputs"]?[0]?["data"] == [2.0, 4.0, 6.0]
            }
            let why = await context()
            #expect(served, "\(name) answered \(answer.prefix(300))\n\(why)")
        }

        // The Hub's branch was pinned to its commit before the pods were made: status says which,
        // and the init container fetched that commit.
        let commit = "3c6e2f1a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e"  // Fixtures/hub_server.py's COMMIT
        let hubObject = try await cluster.client.get(inferenceServiceType, name: "hub", namespace: "ml")
        #expect(hubObject[path: "status", "model", "revision"] == .string(commit), "\(String(describing: hubObject["status"]))")
        #expect(hubObject[path: "status", "model", "uri"] == "hf://org/real")

        // Which credentials each init container used, from its own log line.
        let podsDirectory = work.appendingPathComponent("node/pods").path
        let logs = (try? FileManager.default.contentsOfDirectory(atPath: podsDirectory))?.filter { $0.hasSuffix(".log") } ?? []
        for (name, credentials) in [("s3-key", "credentials: static key"), ("s3-irsa", "credentials: web identity (role \(info["roleArn"]?.stringValue ?? "?"))"),
                                    ("hub", "token (HF_TOKEN)"), ("hub", "fetched hf://org/real/model.onnx@\(commit)")] {
            let text = logs.filter { $0.hasPrefix("\(name)-predictor-") }
                .compactMap { FileManager.default.contents(atPath: podsDirectory + "/" + $0).map { String(decoding: $0, as: UTF8.self) } }
                .joined()
            #expect(text.contains(credentials), "\(name): \(text.suffix(1500))")
        }

        // The wrong key: the condition names S3's refusal and the URI, never the key, and no
        // model file is left in its pods' directories while the init container is retried.
        func condition(_ name: String) async -> JSON? {
            let object = try? await cluster.client.get(inferenceServiceType, name: name, namespace: "ml")
            return object?[path: "status", "conditions"]?.arrayValue?.first { $0["type"] == "ModelFetchFailed" }
        }
        let failed = await eventually(timeout: .seconds(60)) { await condition("s3-wrong")?["status"] == "True" }
        let why = await context()
        #expect(failed, "\(why)")
        let message = await condition("s3-wrong")?["message"]?.stringValue ?? ""
        print("ModelFetchFailed (wrong key): \(message)")
        #expect(message.contains("s3://models/real/model.onnx") && message.contains("SignatureDoesNotMatch"), "\(message)")
        #expect(!message.contains("wrong-secret-value") && !message.contains(key), "no credentials: \(message)")
        // A key that is not in the bucket: S3's NoSuchKey, named in the condition.
        let missing = await eventually(timeout: .seconds(60)) { await condition("s3-missing")?["status"] == "True" }
        let missingMessage = await condition("s3-missing")?["message"]?.stringValue ?? ""
        #expect(missing && missingMessage.contains("could not fetch s3://models/absent/model.onnx: not found"), "\(missingMessage)")
        for name in ["s3-key", "s3-irsa", "hub"] {
            let condition = await condition(name)
            #expect(condition?["status"] != "True", "\(name): \(String(describing: condition))")
        }
        let pods = work.appendingPathComponent("node/pods").path
        let wrongFiles = (FileManager.default.enumerator(atPath: pods)?.compactMap { $0 as? String } ?? [])
            .filter { ($0.hasPrefix("s3-wrong-") || $0.hasPrefix("s3-missing-")) && $0.hasSuffix(".onnx") }
        #expect(wrongFiles.isEmpty, "\(wrongFiles)")
        #expect(op.process.isRunning)
        await node.stop()
        await op.process.stop()
        await s3.stop()
        await hub.stop()
        try await cluster.server.shutdown()
    }
}
