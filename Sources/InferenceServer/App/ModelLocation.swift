/// Where `serve` loads the model from. A warmed model directory (written by
/// `warmup --out DIR`) holds `model.onnx` and `model.optimized.onnx`; serving starts
/// from the optimised file when it is there.
public enum ModelLocation {
    public static let originalFile = "model.onnx"
    public static let optimizedFile = "model.optimized.onnx"
    /// `warmup`'s report: timings and the measured batch throughput (`Warmup.Report`).
    public static let reportFile = "warmup.json"

    /// Picks the file to load; pure given `fileExists`.
    public static func resolve(_ path: String, fileExists: (String) -> Bool, isDirectory: (String) -> Bool) -> (path: String, optimized: Bool) {
        if isDirectory(path) {
            let directory = path.hasSuffix("/") ? String(path.dropLast()) : path
            let optimized = "\(directory)/\(optimizedFile)"
            if fileExists(optimized) { return (optimized, true) }
            return ("\(directory)/\(originalFile)", false)
        }
        if path.hasSuffix(".onnx"), !path.hasSuffix(".optimized.onnx") {
            let sibling = String(path.dropLast(".onnx".count)) + ".optimized.onnx"
            if fileExists(sibling) { return (sibling, true) }
        }
        return (path, path.hasSuffix(".optimized.onnx"))
    }
}
