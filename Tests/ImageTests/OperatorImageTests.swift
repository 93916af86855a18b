import Foundation
import HTTP
import JSONValue
import KubeAPI
import KubeClient
import ServingAPI
import TestAPIServer
import TestSupport
import Testing
import YAML

/// The inference-operator image `make image-operator` builds: its config, and
/// the operator started from the unpacked root filesystem reconciling an
/// InferenceService against the test API server (libcurl and libyaml from the image).
@Suite(.serialized, .enabled(if: ImageFixture.enabled("inference-operator"), ImageFixture.skipReason))
struct OperatorImageTests {
    static let name = "inference-operator"

    @Test func configRunsTheOperatorAsNonRootWithMetricsOn8080() throws {
        let image = try ImageLayout(ImageFixture.layout(Self.name))
        #expect(image.entrypoint == ["/usr/local/bin/inference-operator"])
        #expect(image.cmd == ["run"])
        #expect(image.user == "65532:65532")
        #expect(image.exposedPorts == ["8080/tcp"])
        #expect(image.environment["SSL_CERT_FILE"] == "/etc/ssl/certs/ca-certificates.crt")
        let labels = image.labels
        #expect(labels["org.opencontainers.image.title"] == "inference-operator")
        #expect(labels["org.opencontainers.image.version"] == image.tag)
        #expect(labels["org.opencontainers.image.source"]?.hasPrefix("https://") == true)
        #expect(labels["org.opencontainers.image.licenses"]?.isEmpty == false)
        print("image: inference-operator \(image.layers.count) layers, \(image.compressedBytes) bytes compressed (goal <= 15 MB)")
        // The goal of #19. 39.1 MB with Foundation's ICU data, which any `import Foundation` in its closure
        // brings back; 21.2 MB without it; Debian's libcurl4 with its 27 libraries instead of the
        // http/https-only build adds 4.7 MB, libstdc++.so 0.75 MB, -O instead of -Osize 0.4 MB.
        #expect(image.compressedBytes <= 15_000_000)
        // The base layers (glibc, certificates, users) are byte-identical to the server's, so a node pulls them once.
        if ImageFixture.built("inference-server") {
            let server = try ImageLayout(ImageFixture.layout("inference-server"))
            #expect(image.layers.prefix(2).map { $0["digest"] } == server.layers.prefix(2).map { $0["digest"] })
        }
    }

    @Test func runsFromTheUnpackedRootfsAndDeploysTheServerImage() async throws {
        let layout = try ImageLayout(ImageFixture.layout(Self.name))
        let image = try await UnpackedImage.unpack(layout)
        defer { try? image.remove() }
        let rootfs = image.rootfs
        #expect(FileManager.default.fileExists(atPath: rootfs.appendingPathComponent("etc/ssl/certs/ca-certificates.crt").path))

        let version = try await image.run(layout.entrypoint + ["--version"])
        #expect(version.status == 0 && version.output.trimmingCharacters(in: .whitespacesAndNewlines) == layout.tag, "\(version.output)")
        let crd = try await image.run(layout.entrypoint + ["crd"])
        let checkedIn = try String(contentsOf: packageRoot.appendingPathComponent("CRDs/serving.swiftinfer.io_inferenceservices.yaml"), encoding: .utf8)
        #expect(crd.status == 0 && crd.output == checkedIn, "`crd` from the image differs from CRDs/: \(crd.output.prefix(500))")

        // The test API server on the host; the operator reaches it over loopback from the chroot.
        let server = TestAPIServer()
        let apiPort = try await server.start()
        let client = KubeClient(configuration: KubeClientConfiguration(server: "http://127.0.0.1:\(apiPort)"), transport: try CurlTransport())
        _ = try await client.create(.customResourceDefinitions, try YAML.parse(checkedIn))
        try server.writeKubeconfig(token: "test-token", to: rootfs.appendingPathComponent("tmp/kubeconfig").path)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: rootfs.appendingPathComponent("tmp/kubeconfig").path)

        let metricsPort = try freePort()
        let operatorProcess = try image.start(layout.entrypoint + [
            "run", "--kubeconfig", "/tmp/kubeconfig", "--metrics-bind-address", "127.0.0.1:\(metricsPort)",
            "--leader-elect", "false", "--log-format", "text", "--prometheus-url", "http://127.0.0.1:1",
        ], logName: "image-operator")
        let base = "http://127.0.0.1:\(metricsPort)"
        let ready = await eventually(timeout: .seconds(60)) {
            await http("GET", base + "/readyz").status == 200 || !operatorProcess.isRunning
        }
        #expect(ready && operatorProcess.isRunning, "operator from the image did not become ready: \(operatorProcess.log.suffix(3000))")
        if ready && operatorProcess.isRunning {
            #expect(uid(of: operatorProcess.pid) == 65532)
            // The start-up log names the libcurl it loaded: the image's http/https-only build, with HTTP/2.
            #expect(operatorProcess.log.contains("; http, https; HTTP/2)"), "\(operatorProcess.log.prefix(2000))")
            #expect(await http("GET", base + "/healthz").status == 200)
            #expect(await http("GET", base + "/metrics").body.contains("# TYPE"))

            let service: JSON = [
                "apiVersion": .string(Defaults.apiVersion), "kind": "InferenceService",
                "metadata": ["name": "minilm", "namespace": "default"],
                "spec": ["model": ["name": "minilm", "uri": "file:///opt/models/minilm/model.onnx"]],
            ]
            let inferenceServices = ResourceType(group: Defaults.group, version: Defaults.version, plural: Defaults.plural, kind: Defaults.kind)
            _ = try await client.create(inferenceServices, service, namespace: "default")
            var deployment: JSON?
            _ = await eventually(timeout: .seconds(60)) {
                deployment = try? await client.get(.deployments, name: "minilm-predictor", namespace: "default")
                return deployment != nil
            }
            let containers = deployment?[path: "spec", "template", "spec", "containers"]?.arrayValue ?? []
            #expect(containers.first?["image"]?.stringValue == Defaults.image, "\(operatorProcess.log.suffix(2000))")
            #expect(server.requestLog.records.contains { $0.userAgent.hasPrefix("inference-operator") && $0.isWrite })
        }

        let status = await operatorProcess.stop()
        #expect(status == 0, "exit after SIGTERM: \(String(describing: status)); \(operatorProcess.log.suffix(2000))")
        try await server.shutdown()
    }
}
