import Foundation
import Testing
import HTTP
import ModelFetch
import TestSupport

/// Fetches from real servers on loopback: moto's S3 (signatures checked) and
/// a stand-in for the Hub's resolve API. Nothing reaches the internet.
@Suite(.serialized, .enabled(if: motoAvailable, "needs .venv with moto[server] (make bootstrap)"), .timeLimit(.minutes(3)))
struct FetchFromS3 {
    @Test func fetchesOneSignedObject() async throws {
        let server = try await S3TestServer()
        defer { Task { await server.process.stop() } }
        let directory = try scratchDirectory("s3-single")
        let report = try await ModelFetcher(environment: server.environment())
            .fetch("s3://models/single/model.onnx", intoDirectory: directory)
        #expect(report.files == ["model.onnx"])
        #expect(report.bytes == 300_000)
        #expect(contents(directory + "/model.onnx") == pattern(300_000, seed: 1))
        #expect(listing(directory) == ["model.onnx"], "no partial or validator file is left")
    }

    @Test func fetchesEveryObjectUnderAPrefix() async throws {
        let server = try await S3TestServer()
        defer { Task { await server.process.stop() } }
        let directory = try scratchDirectory("s3-prefix")
        let report = try await ModelFetcher(environment: server.environment()).fetch("s3://models/pair/", intoDirectory: directory)
        #expect(report.files == ["model.onnx.data", "sub/extra weights.bin", "model.onnx"])
        #expect(contents(directory + "/model.onnx") == pattern(5_000, seed: 2))
        #expect(contents(directory + "/model.onnx.data") == pattern(200_000, seed: 3))
        #expect(contents(directory + "/sub/extra weights.bin") == pattern(1_000, seed: 4))
        #expect(listing(directory) == ["model.onnx", "model.onnx.data", "sub/extra weights.bin"])
    }

    @Test func aWrongSecretIsAClearErrorWithoutCredentials() async throws {
        let server = try await S3TestServer()
        defer { Task { await server.process.stop() } }
        let directory = try scratchDirectory("s3-denied")
        for uri in ["s3://models/single/model.onnx", "s3://models/pair/"] {
            do {
                _ = try await ModelFetcher(environment: server.environment(secret: "not-the-secret"))
                    .fetch(uri, intoDirectory: directory)
                Issue.record("a wrong secret was accepted for \(uri)")
            } catch {
                guard case .accessDenied = error else { Issue.record("unexpected \(error)"); continue }
                let message = error.description
                #expect(message.contains(uri), "\(message)")
                #expect(message.contains("SignatureDoesNotMatch"), "\(message)")
                #expect(!message.contains("not-the-secret") && !message.contains(server.accessKeyID), "\(message)")
            }
        }
        #expect(listing(directory).isEmpty)
    }

    /// EKS IRSA: no static key; the projected token is exchanged at STS for temporary
    /// credentials (with a session token), which moto checks like any other key.
    @Test func fetchesWithAWebIdentity() async throws {
        let server = try await S3TestServer()
        defer { Task { await server.process.stop() } }
        let directory = try scratchDirectory("s3-web-identity")
        let tokenFile = directory + "-token"
        try "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6bWw6bW9kZWwtcmVhZGVyIn0.c2ln\n"
            .write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let report = try await ModelFetcher(environment: server.webIdentityEnvironment(tokenFile: tokenFile))
            .fetch("s3://models/single/model.onnx", intoDirectory: directory)
        #expect(report.bytes == 300_000)
        #expect(contents(directory + "/model.onnx") == pattern(300_000, seed: 1))

        // No token file: a clear error, nothing fetched.
        let other = try scratchDirectory("s3-web-identity-missing")
        await #expect {
            try await ModelFetcher(environment: server.webIdentityEnvironment(tokenFile: other + "/absent-token"))
                .fetch("s3://models/single/model.onnx", intoDirectory: other)
        } throws: { error in
            guard let error = error as? ModelFetchError, case .accessDenied = error else { return false }
            return error.description.contains("cannot read the web identity token")
        }
        #expect(listing(other).isEmpty)
    }

    /// EKS Pod Identity (and ECS): the container credentials endpoint with its authorization token file.
    @Test func fetchesWithContainerCredentials() async throws {
        let server = try await S3TestServer()
        defer { Task { await server.process.stop() } }
        let directory = try scratchDirectory("s3-container-credentials")
        let tokenFile = directory + "-token"
        try "pod-identity-token\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        var environment = server.storageEnvironment
        environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server.metadataEndpoint + "/v1/credentials"
        environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = tokenFile
        environment["AWS_EC2_METADATA_DISABLED"] = "true"
        let report = try await ModelFetcher(environment: environment).fetch("s3://models/single/model.onnx", intoDirectory: directory)
        #expect(contents(directory + "/model.onnx") == pattern(300_000, seed: 1))
        #expect(report.credentials == "container credentials \(server.metadataEndpoint)/v1/credentials")

        // A wrong token: the agent's 401 is an access-denied error naming the endpoint, not the token.
        try "not-the-token".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let other = try scratchDirectory("s3-container-credentials-denied")
        await #expect {
            try await ModelFetcher(environment: environment).fetch("s3://models/single/model.onnx", intoDirectory: other)
        } throws: { error in
            guard let error = error as? ModelFetchError, case .accessDenied = error else { return false }
            return error.description.contains("HTTP 401 from container credentials") && !error.description.contains("not-the-token")
        }
        #expect(listing(other).isEmpty)
    }

    /// An EC2 instance profile through IMDSv2; without any answering service, requests go unsigned and moto refuses them.
    @Test func fetchesWithTheInstanceProfileAndWithoutOneGoesUnsigned() async throws {
        let server = try await S3TestServer()
        defer { Task { await server.process.stop() } }
        let directory = try scratchDirectory("s3-instance-profile")
        var environment = server.storageEnvironment
        environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = server.metadataEndpoint
        let report = try await ModelFetcher(environment: environment).fetch("s3://models/single/model.onnx", intoDirectory: directory)
        #expect(contents(directory + "/model.onnx") == pattern(300_000, seed: 1))
        #expect(report.credentials == "instance profile (role model-reader)")

        let port = try await freeLoopbackPort()  // nothing listens: not on EC2
        environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://127.0.0.1:\(port)"
        let other = try scratchDirectory("s3-no-instance-profile")
        await #expect {
            try await ModelFetcher(environment: environment).fetch("s3://models/single/model.onnx", intoDirectory: other)
        } throws: { error in
            guard let error = error as? ModelFetchError, case .accessDenied = error else { return false }
            return true
        }
        #expect(listing(other).isEmpty)
    }

    @Test func aMissingKeyIsNotFound() async throws {
        let server = try await S3TestServer()
        defer { Task { await server.process.stop() } }
        let directory = try scratchDirectory("s3-missing")
        await #expect {
            try await ModelFetcher(environment: server.environment()).fetch("s3://models/nope/model.onnx", intoDirectory: directory)
        } throws: { error in
            guard let error = error as? ModelFetchError, case .notFound = error else { return false }
            return error.description.contains("s3://models/nope/model.onnx") && error.description.contains("NoSuchKey")
        }
        await #expect {
            try await ModelFetcher(environment: server.environment()).fetch("s3://models/nope/", intoDirectory: directory)
        } throws: { error in
            guard let error = error as? ModelFetchError, case .notFound = error else { return false }
            return error.description.contains("no objects under the prefix")
        }
        #expect(listing(directory).isEmpty)
    }
}

@Suite(.serialized, .enabled(if: motoAvailable, "needs .venv (make bootstrap)"), .timeLimit(.minutes(2)))
struct FetchVerification {
    func environment(_ server: HubTestServer) -> [String: String] {
        ["MODEL_STORAGE_ENDPOINT": server.endpoint, "MODEL_STORAGE_PATH_STYLE": "true"]
    }

    @Test func aTruncatedTransferLeavesNoModel() async throws {
        let server = try await HubTestServer()
        defer { Task { await server.process.stop() } }
        let directory = try scratchDirectory("truncated")
        await #expect {
            try await ModelFetcher(environment: environment(server)).fetch("s3://broken/truncated.onnx", intoDirectory: directory)
        } throws: { error in
            guard let error = error as? ModelFetchError, case .transport = error else { return false }
            return error.description.contains("s3://broken/truncated.onnx")
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/model.onnx"))
    }

    @Test func aBodyThatDoesNotMatchItsETagIsRejectedAndRemoved() async throws {
        let server = try await HubTestServer()
        defer { Task { await server.process.stop() } }
        let directory = try scratchDirectory("corrupt")
        await #expect {
            try await ModelFetcher(environment: environment(server)).fetch("s3://broken/corrupt.onnx", intoDirectory: directory)
        } throws: { error in
            guard let error = error as? ModelFetchError, case .verification = error else { return false }
            return error.description.contains("MD5") && error.description.contains("s3://broken/corrupt.onnx")
        }
        #expect(listing(directory).isEmpty, "neither the model nor a partial file is kept")
    }

    @Test func aBrokenTransferResumesWithARangeRequest() async throws {
        let server = try await HubTestServer()
        defer { Task { await server.process.stop() } }
        let directory = try scratchDirectory("resume")
        let fetcher = ModelFetcher(environment: environment(server))
        await #expect(throws: ModelFetchError.self) { try await fetcher.fetch("s3://broken/resumable.onnx", intoDirectory: directory) }
        #expect(listing(directory) == [".model.onnx.partial", ".model.onnx.partial.validator"])
        let report = try await fetcher.fetch("s3://broken/resumable.onnx", intoDirectory: directory)
        #expect(report.bytes == 120_000)
        #expect(contents(directory + "/model.onnx") == pattern(120_000, seed: 9))
        #expect(listing(directory) == ["model.onnx"])
        let ranges = try await server.requests().filter { $0.path == "/broken/resumable.onnx" }.map(\.range)
        #expect(ranges.count == 2)
        #expect(ranges.last == "bytes=50000-")
    }
}

@Suite(.serialized, .enabled(if: motoAvailable, "needs .venv (make bootstrap)"), .timeLimit(.minutes(2)))
struct FetchFromTheHub {
    @Test func followsTheRedirectToTheCDNAndChecksTheLinkedSHA256() async throws {
        let server = try await HubTestServer()
        defer { Task { await server.process.stop() } }
        let directory = try scratchDirectory("hub")
        let report = try await ModelFetcher(environment: ["HF_ENDPOINT": server.endpoint]).fetch("hf://org/public", intoDirectory: directory)
        #expect(report.bytes == 150_000)
        #expect(contents(directory + "/model.onnx") == pattern(150_000, seed: 7))
        #expect(listing(directory) == ["model.onnx"])
        let plain = try await ModelFetcher(environment: ["HF_ENDPOINT": server.endpoint])
            .fetch("hf://org/public/config.json@main", intoDirectory: directory, modelFileName: "config.json")
        #expect(plain.bytes == 28)
    }

    /// The commit a branch points at, as the operator pins it; the commit itself then fetches the same file.
    @Test func aBranchResolvesToItsCommitAndTheCommitFetches() async throws {
        let server = try await HubTestServer()
        defer { Task { await server.process.stop() } }
        let commit = "3c6e2f1a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e"  // Fixtures/hub_server.py's COMMIT
        let fetcher = ModelFetcher(environment: ["HF_ENDPOINT": server.endpoint])
        #expect(try await fetcher.hubCommit("hf://org/public@main") == commit)
        #expect(try await fetcher.hubCommit("hf://org/public/config.json") == commit)
        let directory = try scratchDirectory("hub-commit")
        _ = try await fetcher.fetch("hf://org/public@\(commit)", intoDirectory: directory)
        #expect(contents(directory + "/model.onnx") == pattern(150_000, seed: 7))
        // A private repository without the token: the Hub's refusal, as a fetch would report it.
        await #expect {
            try await fetcher.hubCommit("hf://org/private")
        } throws: { error in
            guard let error = error as? ModelFetchError, case .accessDenied = error else { return false }
            return error.description.contains("RepoNotFound")
        }
        #expect(try await ModelFetcher(environment: ["HF_ENDPOINT": server.endpoint, "HF_TOKEN": "secret-token"])
            .hubCommit("hf://org/private") == commit)
        await #expect(throws: ModelFetchError.self) { try await fetcher.hubCommit("s3://bucket/model.onnx") }
    }

    @Test func aPrivateRepositoryNeedsTheTokenWhichNeverReachesTheCDN() async throws {
        let server = try await HubTestServer()
        defer { Task { await server.process.stop() } }
        let directory = try scratchDirectory("hub-private")
        await #expect {
            try await ModelFetcher(environment: ["HF_ENDPOINT": server.endpoint]).fetch("hf://org/private", intoDirectory: directory)
        } throws: { error in
            guard let error = error as? ModelFetchError, case .accessDenied = error else { return false }
            return error.description.contains("hf://org/private/model.onnx@main") && error.description.contains("RepoNotFound")
        }
        #expect(listing(directory).isEmpty)
        // The CDN answers 400 to any Authorization header, so success means the token stayed on the Hub's host.
        _ = try await ModelFetcher(environment: ["MODEL_STORAGE_ENDPOINT": server.endpoint, "HF_TOKEN": "secret-token"])
            .fetch("hf://org/private", intoDirectory: directory)
        #expect(contents(directory + "/model.onnx") == pattern(150_000, seed: 7))
    }

    @Test func aChecksumMismatchIsRejectedAndNothingIsKept() async throws {
        let server = try await HubTestServer()
        defer { Task { await server.process.stop() } }
        let directory = try scratchDirectory("hub-tampered")
        await #expect {
            try await ModelFetcher(environment: ["HF_ENDPOINT": server.endpoint]).fetch("hf://org/tampered", intoDirectory: directory)
        } throws: { error in
            guard let error = error as? ModelFetchError, case .verification = error else { return false }
            return error.description.contains("SHA-256") && error.description.contains("hf://org/tampered")
        }
        #expect(listing(directory).isEmpty)
    }

    @Test func aMissingFileNamesTheHubsReason() async throws {
        let server = try await HubTestServer()
        defer { Task { await server.process.stop() } }
        let directory = try scratchDirectory("hub-missing")
        await #expect {
            try await ModelFetcher(environment: ["HF_ENDPOINT": server.endpoint]).fetch("hf://org/public/nope.onnx", intoDirectory: directory)
        } throws: { error in
            guard let error = error as? ModelFetchError, case .notFound = error else { return false }
            return error.description.contains("EntryNotFound")
        }
    }
}

/// The init container's command, as `ServerCommandLine` renders it, and `serve --model s3://...`, run from
/// the built executable against moto with the variables the Deployment sets.
let serverBinary = packageRoot.appendingPathComponent(".build/debug/inference-server").path

@Suite(.serialized, .enabled(if: motoAvailable && FileManager.default.isExecutableFile(atPath: serverBinary),
                             "needs .venv with moto and the built inference-server"),
       .timeLimit(.minutes(3)))
struct ServerCommandsAgainstS3 {
    @Test func fetchOnlyWritesThePrefixAndFailsClearlyWithAWrongSecret() async throws {
        let server = try await S3TestServer()
        defer { Task { await server.process.stop() } }
        let directory = try scratchDirectory("warmup-s3")
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AWS_") && !$0.key.hasPrefix("MODEL_") }
        environment.merge(server.environment()) { $1 }
        let arguments = ["warmup", "--model", "s3://models/pair/", "--out", directory, "--fetch-only"]
        let fetched = try await Subprocess.run(serverBinary, arguments, environment: environment)
        #expect(fetched.status == 0, "\(fetched.output)")
        #expect(listing(directory) == ["model.onnx", "model.onnx.data", "sub/extra weights.bin"])

        environment["AWS_SECRET_ACCESS_KEY"] = "wrong-secret-value"
        let other = try scratchDirectory("warmup-s3-denied")
        let denied = try await Subprocess.run(
            serverBinary, ["warmup", "--model", "s3://models/single/model.onnx", "--out", other, "--fetch-only"], environment: environment)
        #expect(denied.status != 0)
        #expect(denied.output.contains("could not fetch s3://models/single/model.onnx: access denied (SignatureDoesNotMatch"), "\(denied.output)")
        #expect(!denied.output.contains("wrong-secret-value") && !denied.output.contains(server.accessKeyID))
        #expect(listing(other).isEmpty)
    }

    /// With a static key (the Secret the spec names) and with a web identity (EKS IRSA).
    @Test(.enabled(if: venvModel != nil, "needs the MiniLM model in .venv"), arguments: [false, true])
    func serveFetchesAnS3ModelWithTheSameCodeAndBecomesReady(webIdentity: Bool) async throws {
        let model = try #require(venvModel)
        let server = try await S3TestServer(realModel: model)
        defer { Task { await server.process.stop() } }
        let cache = try scratchDirectory("serve-cache")
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AWS_") && !$0.key.hasPrefix("MODEL_") }
        if webIdentity {
            let tokenFile = cache + "-token"
            try "eyJhbGciOiJSUzI1NiJ9.e30.c2ln".write(toFile: tokenFile, atomically: true, encoding: .utf8)
            environment.merge(server.webIdentityEnvironment(tokenFile: tokenFile)) { $1 }
        } else {
            environment.merge(server.environment()) { $1 }
        }
        environment["MODEL_CACHE_DIR"] = cache
        let port = try await freeLoopbackPort()
        let serve = try ManagedProcess(
            serverBinary,
            ["serve", "--model", "s3://models/real/", "--model-name", "minilm", "--http-host", "127.0.0.1", "--http-port", String(port),
             "--intra-op-threads", "1"],
            environment: environment, currentDirectory: packageRoot, logName: "serve-s3")
        defer { Task { await serve.stop() } }
        let ready = await eventually(timeout: .seconds(90)) {
            (try? await CurlTransport().send(HTTPRequest(url: "http://127.0.0.1:\(port)/v2/health/ready", timeout: .seconds(2))))?.status == 200
                || !serve.isRunning
        }
        #expect(ready && serve.isRunning, "\(serve.log.suffix(3000))")
        #expect(contents(cache + "/model.onnx") == contents(model))
        #expect(serve.log.contains("model fetched"), "\(serve.log.suffix(2000))")
    }
}
