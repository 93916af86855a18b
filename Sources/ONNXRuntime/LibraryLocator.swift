#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Decides, in order, which files to try when loading ONNX Runtime:
/// 1. the explicit path (`--ort-library`), else `ORT_LIBRARY`;
/// 2. the `onnxruntime` wheel's library in a virtual environment (`$VIRTUAL_ENV`,
///    then `.venv` in the working directory and in the directories above the executable);
/// 3. the system loader's search (`libonnxruntime.so.1`, `libonnxruntime.so`) and the usual prefixes.
/// The decision is pure given `listDirectory`; the binding does the opening.
public struct LibraryLocator: Sendable {
    public var explicitPath: String?
    public var environment: [String: String]
    public var workingDirectory: String
    public var executablePath: String?
    /// Names in a directory (empty when it does not exist).
    public var listDirectory: @Sendable (String) -> [String]

    public init(
        explicitPath: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String = FileManager.default.currentDirectoryPath,
        executablePath: String? = CommandLine.arguments.first,
        listDirectory: @escaping @Sendable (String) -> [String] = { (try? FileManager.default.contentsOfDirectory(atPath: $0)) ?? [] }
    ) {
        self.explicitPath = explicitPath
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.executablePath = executablePath
        self.listDirectory = listDirectory
    }

    /// Bare names handed to the dynamic loader so it searches LD_LIBRARY_PATH and its cache.
    public static let systemNames = ["libonnxruntime.so.1", "libonnxruntime.so"]
    /// Prefixes where a hand-installed or image-bundled library usually sits.
    public static let systemDirectories = ["/usr/local/lib", "/usr/lib", "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/opt/onnxruntime/lib"]

    /// Every candidate, best first. An explicit path, when given, is the only candidate:
    /// asking for one library and silently getting another would hide a mistake.
    public func candidates() -> [String] {
        if let path = explicitPath ?? environment["ORT_LIBRARY"], !path.isEmpty {
            return [path]
        }
        var result: [String] = []
        for root in venvRoots() {
            result += wheelLibraries(inVenv: root)
        }
        result += Self.systemNames
        for directory in Self.systemDirectories {
            result += Self.systemNames.map { "\(directory)/\($0)" }
        }
        var seen = Set<String>()
        return result.filter { seen.insert($0).inserted }
    }

    func venvRoots() -> [String] {
        var roots: [String] = []
        if let venv = environment["VIRTUAL_ENV"], !venv.isEmpty { roots.append(venv) }
        roots.append(join(workingDirectory, ".venv"))
        if let executable = executablePath, executable.contains("/") {
            var directory = parent(of: absolute(executable))
            for _ in 0..<6 where directory != "/" && !directory.isEmpty {
                roots.append(join(directory, ".venv"))
                directory = parent(of: directory)
            }
        }
        return roots
    }

    func wheelLibraries(inVenv root: String) -> [String] {
        let lib = join(root, "lib")
        var found: [String] = []
        for python in listDirectory(lib).filter({ $0.hasPrefix("python3") }).sorted().reversed() {
            let capi = "\(lib)/\(python)/site-packages/onnxruntime/capi"
            let names = listDirectory(capi).filter { $0.hasPrefix("libonnxruntime.so") }
            // The versioned file first (libonnxruntime.so.1.32.0), then any shorter links.
            found += names.sorted { $0.count > $1.count }.map { "\(capi)/\($0)" }
        }
        return found
    }

    private func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : join(workingDirectory, path)
    }
    private func join(_ a: String, _ b: String) -> String {
        a.hasSuffix("/") ? a + b : a + "/" + b
    }
    private func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        let head = String(path[..<slash])
        return head.isEmpty ? "/" : head
    }
}
