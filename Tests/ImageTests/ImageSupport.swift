import ChildProcess
import Foundation
import JSONValue
import TestSupport
import Testing

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Where `scripts/build-image.sh` leaves the images (`IMAGE_OUT`, default `out/image`).
enum ImageFixture {
    static var outDirectory: URL {
        if let out = ProcessInfo.processInfo.environment["IMAGE_OUT"], !out.isEmpty {
            return URL(fileURLWithPath: out, relativeTo: packageRoot)
        }
        return packageRoot.appendingPathComponent("out/image")
    }

    static func layout(_ name: String) -> URL { outDirectory.appendingPathComponent("\(name)-oci") }
    static func archive(_ name: String) -> URL { outDirectory.appendingPathComponent("\(name).tar") }

    /// `make test` builds both images first and sets `IMAGE_TESTS=required`, so there a
    /// missing image fails; `make test TEST_IMAGES=0` sets `skip` (an image left from an
    /// earlier build would be stale); a plain `swift test` runs the suites when the images exist.
    static var mode: String { ProcessInfo.processInfo.environment["IMAGE_TESTS"] ?? "" }
    static var required: Bool { mode == "required" }

    static func built(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: layout(name).appendingPathComponent("index.json").path)
    }

    static let tools = ["/usr/bin/umoci", "/usr/bin/skopeo", "/usr/bin/unshare", "/usr/sbin/chroot", "/usr/bin/curl"]

    /// Runs the suite when the image is there (or must be), as root, with the tools present.
    static func enabled(_ name: String) -> Bool {
        mode != "skip" && (required || built(name)) && getuid() == 0 && tools.allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static let skipReason: Comment = "skipped: needs root, umoci/skopeo/unshare and the images (`make images`; `make test` builds them)"
}

struct ImageTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// An OCI image layout directory as `buildah push oci:` writes it, read through its JSON:
/// index.json -> the tagged manifest -> config blob.
struct ImageLayout {
    let directory: URL
    let tag: String
    let manifestDigest: String
    let manifest: JSON
    let config: JSON

    init(_ directory: URL) throws {
        self.directory = directory
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("index.json").path) else {
            throw ImageTestError("no OCI layout at \(directory.path): run `make images` (make test builds them)")
        }
        let index = try JSON.parse(Array(Data(contentsOf: directory.appendingPathComponent("index.json"))))
        guard let entry = index["manifests"]?.arrayValue?.first, let digest = entry["digest"]?.stringValue,
              let tag = entry[path: "annotations", "org.opencontainers.image.ref.name"]?.stringValue else {
            throw ImageTestError("index.json names no tagged manifest: \(index.serialized())")
        }
        self.tag = tag
        manifestDigest = digest
        manifest = try JSON.parse(Array(Self.blob(directory, digest)))
        guard let configDigest = manifest[path: "config", "digest"]?.stringValue else {
            throw ImageTestError("manifest has no config: \(manifest.serialized())")
        }
        config = try JSON.parse(Array(Self.blob(directory, configDigest)))
    }

    static func blob(_ directory: URL, _ digest: String) throws -> Data {
        let parts = digest.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw ImageTestError("malformed digest \(digest)") }
        return try Data(contentsOf: directory.appendingPathComponent("blobs/\(parts[0])/\(parts[1])"))
    }

    var entrypoint: [String] { strings(config[path: "config", "Entrypoint"]) }
    var cmd: [String] { strings(config[path: "config", "Cmd"]) }
    var user: String? { config[path: "config", "User"]?.stringValue }
    var exposedPorts: [String] { config[path: "config", "ExposedPorts"]?.objectValue?.keys ?? [] }
    var labels: [String: String] {
        var result: [String: String] = [:]
        for (key, value) in config[path: "config", "Labels"]?.objectValue ?? [:] { result[key] = value.stringValue }
        return result
    }
    var environment: [String: String] {
        var result: [String: String] = [:]
        for entry in strings(config[path: "config", "Env"]) {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            result[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return result
    }
    var layers: [JSON] { manifest["layers"]?.arrayValue ?? [] }
    /// What a registry stores and a node pulls: the compressed layers plus the config.
    var compressedBytes: Int64 {
        layers.compactMap { $0["size"]?.intValue }.reduce(0, +) + (manifest[path: "config", "size"]?.intValue ?? 0)
    }

    private func strings(_ value: JSON?) -> [String] { value?.arrayValue?.compactMap(\.stringValue) ?? [] }
}

/// An image's root filesystem unpacked with `umoci unpack` into a temporary directory.
/// Commands run from it the way a container runtime would start them, short of
/// namespaces other than mounts: a private mount namespace with /proc, /dev and
/// /sys mounted, chroot into the rootfs, the image's user and environment only.
final class UnpackedImage: @unchecked Sendable {
    let bundle: URL
    var rootfs: URL { bundle.appendingPathComponent("rootfs") }
    let layout: ImageLayout

    static func unpack(_ layout: ImageLayout) async throws -> UnpackedImage {
        let bundle = FileManager.default.temporaryDirectory.appendingPathComponent("image-\(UUID().uuidString)")
        let result = try await Subprocess.run("/usr/bin/umoci", ["unpack", "--image", "\(layout.directory.path):\(layout.tag)", bundle.path])
        guard result.status == 0 else { throw ImageTestError("umoci unpack failed: \(result.output)") }
        let image = UnpackedImage(bundle: bundle, layout: layout)
        for mountPoint in ["proc", "dev", "sys"] {
            try FileManager.default.createDirectory(at: image.rootfs.appendingPathComponent(mountPoint), withIntermediateDirectories: true)
        }
        return image
    }

    init(bundle: URL, layout: ImageLayout) {
        self.bundle = bundle
        self.layout = layout
    }

    /// The mounts live in the child's own namespace and vanish with it.
    static let launcher = """
        set -e
        root=$1; user=$2; shift 2
        mount -t proc proc "$root/proc"
        mount --rbind /dev "$root/dev"
        mount -t sysfs -o ro sysfs "$root/sys"
        exec /usr/sbin/chroot --userspec="$user" "$root" "$@"
        """

    /// The executable and arguments that run `argv` inside the image as its configured user.
    func invocation(_ argv: [String]) -> (executable: String, arguments: [String]) {
        ("/usr/bin/unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c", Self.launcher, "sh",
                              rootfs.path, layout.user ?? "65532:65532"] + argv)
    }

    /// The image's environment (only), plus `extra`.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        layout.environment.merging(extra) { _, new in new }
    }

    func run(_ argv: [String], environment extra: [String: String] = [:]) async throws -> Subprocess.Result {
        let (executable, arguments) = invocation(argv)
        return try await Subprocess.run(executable, arguments, environment: environment(extra))
    }

    func start(_ argv: [String], environment extra: [String: String] = [:], logName: String) throws -> ManagedProcess {
        let (executable, arguments) = invocation(argv)
        return try ManagedProcess(executable, arguments, environment: environment(extra), logName: logName)
    }

    /// Deletes the bundle, but never while anything is still mounted below it
    /// (deleting through a /dev bind mount would delete the host's device nodes).
    func remove() throws {
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        let below = mounts.split(separator: "\n").filter { $0.contains(bundle.path) }
        guard below.isEmpty else { throw ImageTestError("still mounted below \(bundle.path), not deleting: \(below)") }
        let result = ChildProcess()
        result.executableURL = URL(fileURLWithPath: "/bin/rm")
        result.arguments = ["-rf", "--one-file-system", bundle.path]
        try result.run()
        result.waitUntilExit()
    }
}

/// One HTTP exchange with curl: status code and body.
func http(_ method: String, _ url: String, body: String? = nil) async -> (status: Int, body: String) {
    var arguments = ["-s", "-X", method, "-o", "-", "-w", "\n%{http_code}", "--max-time", "30", url]
    if let body { arguments += ["-H", "Content-Type: application/json", "--data-binary", body] }
    let output = (try? await Subprocess.run("/usr/bin/curl", arguments))?.output ?? ""
    var lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let status = Int(lines.popLast() ?? "") ?? 0
    return (status, lines.joined(separator: "\n"))
}

/// The user id a running process has (first field of /proc/PID/status `Uid:`).
func uid(of pid: Int32) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    let line = status.split(separator: "\n").first { $0.hasPrefix("Uid:") }
    return line.flatMap { $0.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.flatMap { Int($0) } }
}
