import Foundation
import JSONValue
import TestSupport
import Testing

/// The gRPC port of a real `inference-server serve --grpc-port` process, driven by the real
/// `tritonclient[grpc]` from PyPI (scripts/triton_grpc_check.py): health, metadata, an infer
/// of every datatype with raw contents, and the status codes of its failures.
@Suite(.serialized, .disabled(if: !FileManager.default.isExecutableFile(atPath: ServeHelpTests.binary), "skipped: build inference-server first (make test does)"))
struct GRPCTritonClientTests {
    @Test func tritonClientInfersReadsMetadataAndSeesStatusCodes() async throws {
        let httpPort = try freePort()
        let grpcPort = try freePort()
        let process = try ManagedProcess(ServeHelpTests.binary, [
            "serve", "--model", Fixtures.path("types"), "--http-host", "127.0.0.1", "--http-port", String(httpPort),
            "--grpc-port", String(grpcPort), "--intra-op-threads", "1", "--ort-library", try CanaryRouteTests.ortLibrary(),
        ], logName: "grpc-types")
        let ready = await eventually(timeout: .seconds(60)) {
            (try? await Subprocess.run("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(httpPort)/v2/health/ready"]))?.status == 0
        }
        try #require(ready, "not ready: \(process.log.suffix(2000))")
        #expect(process.log.contains("grpc listening"), "\(process.log.suffix(2000))")

        let python = Fixtures.root.appendingPathComponent(".venv/bin/python").path
        let script = Fixtures.root.appendingPathComponent("scripts/triton_grpc_check.py").path
        let run = try await Subprocess.run(python, [script, "127.0.0.1:\(grpcPort)"])
        try #require(run.status == 0, "\(run.output)\n\(process.log.suffix(2000))")
        let line = try #require(run.output.split(separator: "\n").last.map(String.init))
        let report = try JSON.parse(Array(line.utf8))

        #expect(report["live"] == .bool(true) && report["ready"] == .bool(true) && report["model_ready"] == .bool(true))
        #expect(report["server"]?["name"] == .string("inference-server"))
        #expect(report["metadata"]?["name"] == .string("types"))
        #expect(report["metadata"]?["platform"] == .string("onnxruntime_onnx"))
        guard case .array(let inputs)? = report["metadata"]?["inputs"] else { Issue.record("no inputs in \(line)"); return }
        #expect(inputs.count == 13)
        #expect(report["infer"]?["id"] == .string("req-7") && report["infer"]?["model_name"] == .string("types"))
        guard case .object(let matches)? = report["infer"]?["matches"] else { Issue.record("no matches in \(line)"); return }
        #expect(matches.count == 13 && matches.values.allSatisfy { $0 == .bool(true) }, "\(matches)")
        #expect(report["infer"]?["datatypes"]?["out_string"] == .string("BYTES"))
        #expect(report["infer"]?["datatypes"]?["out_float16"] == .string("FP16"))

        let errors = report["errors"]
        #expect(errors?["unknown_model"]?["status"] == .string("StatusCode.NOT_FOUND"), "\(line)")
        #expect(errors?["unknown_version"]?["status"] == .string("StatusCode.NOT_FOUND"), "\(line)")
        #expect(errors?["model_ready_unknown"]?["status"] == .string("StatusCode.NOT_FOUND"), "\(line)")
        #expect(errors?["missing_input"]?["status"] == .string("StatusCode.INVALID_ARGUMENT"), "\(line)")
        #expect(errors?["short_tensor"]?["status"] == .string("StatusCode.INVALID_ARGUMENT"), "\(line)")
        if case .string(let message)? = errors?["short_tensor"]?["message"] {
            #expect(message.contains("in_float32") && message.contains("raw_input_contents"), "\(message)")
        }
        _ = await process.stop()
    }
}
