// The only file that touches ONNX Runtime's C API, raw pointers or dlopen.
// Everything above it sees `ORTRuntime`, `ORTSession`, `InputTensor` and
// `OutputTensor`, and errors as `ORTError`.
import CONNXRuntime

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A loaded ONNX Runtime library with its environment. Create one per process and share it.
public final class ORTRuntime: @unchecked Sendable {
    // Immutable after init; ONNX Runtime documents the env, the API table and sessions as thread-safe.
    public let libraryPath: String
    public let version: String
    fileprivate let api: OrtApi
    fileprivate let env: OpaquePointer
    fileprivate let cpuMemory: OpaquePointer
    fileprivate let allocator: OpaquePointer

    /// Opens the first library `locator` finds that serves our API version, and creates the environment.
    public static func load(locator: LibraryLocator = LibraryLocator(), logID: String = "inference-server") throws(ORTError) -> ORTRuntime {
        var attempts: [LibraryAttempt] = []
        for path in locator.candidates() {
            guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
                let reason = dlerror().map { String(cString: $0) } ?? "cannot be opened"
                attempts.append(LibraryAttempt(path: path, reason: reason))
                continue
            }
            guard let symbol = dlsym(handle, "OrtGetApiBase") else {
                dlclose(handle)
                if locator.explicitPath != nil { throw .notAnONNXRuntimeLibrary(path: path) }
                attempts.append(LibraryAttempt(path: path, reason: "no OrtGetApiBase symbol"))
                continue
            }
            let getBase = unsafeBitCast(symbol, to: OrtGetApiBaseFunction.self)
            guard let base = getBase() else {
                attempts.append(LibraryAttempt(path: path, reason: "OrtGetApiBase returned NULL"))
                continue
            }
            let version = base.pointee.GetVersionString.flatMap { $0() }.map { String(cString: $0) } ?? "unknown"
            guard let apiPointer = base.pointee.GetApi?(UInt32(ORT_SHIM_API_VERSION)) else {
                throw .unsupportedAPIVersion(requested: UInt32(ORT_SHIM_API_VERSION), libraryVersion: version)
            }
            // The library stays loaded for the life of the process: unloading ONNX Runtime
            // while its thread pools may still exist is not supported upstream.
            return try ORTRuntime(path: path, version: version, api: apiPointer.pointee, logID: logID)
        }
        throw .libraryNotFound(attempts: attempts)
    }

    private init(path: String, version: String, api: OrtApi, logID: String) throws(ORTError) {
        self.libraryPath = path
        self.version = version
        self.api = api
        var env: OpaquePointer?
        try check(api, entry(api.CreateEnv)(ORT_LOGGING_LEVEL_WARNING, logID, &env))
        var memory: OpaquePointer?
        var allocator: OpaquePointer?
        do {
            try check(api, entry(api.CreateCpuMemoryInfo)(OrtDeviceAllocator, OrtMemTypeDefault, &memory))
            try check(api, entry(api.GetAllocatorWithDefaultOptions)(&allocator))
        } catch {
            api.ReleaseMemoryInfo?(memory)
            api.ReleaseEnv?(env)
            throw error
        }
        guard let env, let memory, let allocator else {
            throw .runtime(code: "ORT_FAIL", message: "environment creation returned no object")
        }
        self.env = env
        self.cpuMemory = memory
        self.allocator = allocator
    }

    deinit {
        api.ReleaseMemoryInfo?(cpuMemory)
        api.ReleaseEnv?(env)
    }

    /// Execution providers compiled into this library ("CPUExecutionProvider", "CUDAExecutionProvider", ...).
    public func availableProviders() -> [String] {
        var list: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        var count: Int32 = 0
        guard (try? check(api, entry(api.GetAvailableProviders)(&list, &count))) != nil, let list else { return [] }
        defer { _ = api.ReleaseAvailableProviders?(list, count).map { api.ReleaseStatus?($0) } }
        return (0..<Int(count)).compactMap { list[$0].map { String(cString: $0) } }
    }

    /// Loads a model file into a session.
    public func makeSession(modelPath: String, configuration: SessionConfiguration = SessionConfiguration()) throws(ORTError) -> ORTSession {
        try ORTSession(runtime: self, modelPath: modelPath, configuration: configuration)
    }
}

/// A loaded model. `run` may be called from many tasks at once.
public final class ORTSession: @unchecked Sendable {
    // Immutable after init; OrtApi::Run is documented as safe to call concurrently on one session.
    public let runtime: ORTRuntime
    public let info: ModelInfo
    /// True when the CUDA execution provider was attached.
    public let usesCUDA: Bool
    private let session: OpaquePointer
    private let outputNameCStrings: [UnsafeMutablePointer<CChar>]

    fileprivate init(runtime: ORTRuntime, modelPath: String, configuration: SessionConfiguration) throws(ORTError) {
        let api = runtime.api
        self.runtime = runtime
        var options: OpaquePointer?
        try check(api, entry(api.CreateSessionOptions)(&options))
        defer { api.ReleaseSessionOptions?(options) }
        let level: GraphOptimizationLevel
        switch configuration.graphOptimization {
        case .disabled: level = ORT_DISABLE_ALL
        case .basic: level = ORT_ENABLE_BASIC
        case .extended: level = ORT_ENABLE_EXTENDED
        case .all: level = ORT_ENABLE_ALL
        }
        try check(api, entry(api.SetSessionGraphOptimizationLevel)(options, level))
        try check(api, entry(api.SetIntraOpNumThreads)(options, Int32(clamping: configuration.intraOpThreads)))
        try check(api, entry(api.SetInterOpNumThreads)(options, Int32(clamping: configuration.interOpThreads)))
        if !configuration.intraOpSpinning {
            try check(api, entry(api.AddSessionConfigEntry)(options, "session.intra_op.allow_spinning", "0"))
            try check(api, entry(api.AddSessionConfigEntry)(options, "session.inter_op.allow_spinning", "0"))
        }
        if let output = configuration.optimizedModelOutputPath {
            try check(api, entry(api.SetOptimizedModelFilePath)(options, output))
        }
        var cuda = false
        if configuration.preferCUDA, runtime.availableProviders().contains("CUDAExecutionProvider") {
            var cudaOptions = OrtCUDAProviderOptions()
            cudaOptions.device_id = Int32(clamping: configuration.cudaDevice)
            cudaOptions.gpu_mem_limit = Int.max
            cudaOptions.do_copy_in_default_stream = 1
            // A CUDA build without a usable driver answers with an error: serve on CPU instead.
            cuda = (try? check(api, entry(api.SessionOptionsAppendExecutionProvider_CUDA)(options, &cudaOptions))) != nil
        }
        self.usesCUDA = cuda
        var created: OpaquePointer?
        try check(api, entry(api.CreateSession)(runtime.env, modelPath, options, &created))
        guard let created else { throw .runtime(code: "ORT_FAIL", message: "CreateSession returned no session") }
        self.session = created
        do {
            let inputs = try Self.describe(api, created, allocator: runtime.allocator, outputs: false)
            let outputs = try Self.describe(api, created, allocator: runtime.allocator, outputs: true)
            self.info = ModelInfo(inputs: inputs, outputs: outputs)
        } catch {
            api.ReleaseSession?(created)
            throw (error as? ORTError) ?? .runtime(code: "ORT_FAIL", message: "\(error)")
        }
        self.outputNameCStrings = info.outputs.map { strdup($0.name) }
    }

    deinit {
        runtime.api.ReleaseSession?(session)
        outputNameCStrings.forEach { free($0) }
    }

    /// Runs the model. Raw input data is read in place (no copy); outputs stay in
    /// ONNX Runtime's buffers until the returned tensors are released.
    /// - Parameter outputNames: the outputs to compute, all of them when nil.
    public func run(_ inputs: [InputTensor], outputNames: [String]? = nil) throws(ORTError) -> [OutputTensor] {
        for input in inputs { try input.validate() }
        let wanted = outputNames ?? info.outputs.map(\.name)
        var namePointers: [UnsafePointer<CChar>] = []
        for name in wanted {
            guard let index = info.outputs.firstIndex(where: { $0.name == name }) else {
                throw .invalidArgument("model has no output '\(name)'")
            }
            namePointers.append(UnsafePointer(outputNameCStrings[index]))
        }
        do {
            return try withInputValues(inputs, index: 0, values: []) { values in
                try self.execute(inputs: inputs, values: values, outputNames: wanted, outputNamePointers: namePointers)
            }
        } catch let error as ORTError {
            throw error
        } catch {
            throw .runtime(code: "ORT_FAIL", message: "\(error)")
        }
    }

    // MARK: - Input values

    /// Creates one OrtValue per input, each over the caller's bytes, then calls `body`; releases them after.
    private func withInputValues<R>(
        _ inputs: [InputTensor], index: Int, values: [OpaquePointer], _ body: ([OpaquePointer]) throws -> R
    ) throws -> R {
        if index == inputs.count { return try body(values) }
        let api = runtime.api
        let input = inputs[index]
        let type = ONNXTensorElementDataType(rawValue: UInt32(input.elementType.rawValue))
        switch input.data {
        case .raw(let bytes):
            return try bytes.withUnsafeBytes { raw -> R in
                var spare: UInt8 = 0  // ONNX Runtime wants a non-NULL pointer even for empty tensors.
                return try withUnsafeMutablePointer(to: &spare) { sparePointer -> R in
                    let base = raw.baseAddress.map { UnsafeMutableRawPointer(mutating: $0) } ?? UnsafeMutableRawPointer(sparePointer)
                    var value: OpaquePointer?
                    try input.shape.withUnsafeBufferPointer { shape in
                        try check(api, entry(api.CreateTensorWithDataAsOrtValue)(
                            runtime.cpuMemory, base, raw.count, shape.baseAddress, shape.count, type, &value))
                    }
                    guard let value else { throw ORTError.runtime(code: "ORT_FAIL", message: "no tensor for input '\(input.name)'") }
                    defer { api.ReleaseValue?(value) }
                    return try withInputValues(inputs, index: index + 1, values: values + [value], body)
                }
            }
        case .strings(let strings):
            var value: OpaquePointer?
            try input.shape.withUnsafeBufferPointer { shape in
                try check(api, entry(api.CreateTensorAsOrtValue)(runtime.allocator, shape.baseAddress, shape.count, type, &value))
            }
            guard let value else { throw ORTError.runtime(code: "ORT_FAIL", message: "no tensor for input '\(input.name)'") }
            defer { api.ReleaseValue?(value) }
            // ONNX Runtime copies strings into its own std::string storage; it needs NUL-terminated copies.
            let cStrings: [UnsafeMutablePointer<CChar>] = strings.map { bytes in
                let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
                bytes.withUnsafeBytes { source in
                    UnsafeMutableRawPointer(pointer).copyMemory(from: source.baseAddress ?? UnsafeRawPointer(pointer), byteCount: source.count)
                }
                pointer[bytes.count] = 0
                return pointer
            }
            defer { cStrings.forEach { $0.deallocate() } }
            let constStrings: [UnsafePointer<CChar>?] = cStrings.map { UnsafePointer($0) }
            try constStrings.withUnsafeBufferPointer { list in
                try check(api, entry(api.FillStringTensor)(value, list.baseAddress, list.count))
            }
            return try withInputValues(inputs, index: index + 1, values: values + [value], body)
        }
    }

    private func execute(
        inputs: [InputTensor], values: [OpaquePointer], outputNames: [String], outputNamePointers: [UnsafePointer<CChar>]
    ) throws -> [OutputTensor] {
        let api = runtime.api
        let inputNames = inputs.map { strdup($0.name) }
        defer { inputNames.forEach { free($0) } }
        var outputs = [OpaquePointer?](repeating: nil, count: outputNames.count)
        let inputNamePointers: [UnsafePointer<CChar>?] = inputNames.map { $0.map { UnsafePointer($0) } }
        let valuePointers: [OpaquePointer?] = values
        let outputNameList: [UnsafePointer<CChar>?] = outputNamePointers
        let status = inputNamePointers.withUnsafeBufferPointer { names in
            valuePointers.withUnsafeBufferPointer { values in
                outputNameList.withUnsafeBufferPointer { outNames in
                    outputs.withUnsafeMutableBufferPointer { outs in
                        api.Run?(session, nil, names.baseAddress, values.baseAddress, values.count,
                                 outNames.baseAddress, outNames.count, outs.baseAddress)
                    }
                }
            }
        }
        var result: [OutputTensor] = []
        do {
            try check(api, status)
            for (index, value) in outputs.enumerated() {
                guard let value else { throw ORTError.runtime(code: "ORT_FAIL", message: "Run returned no value for '\(outputNames[index])'") }
                outputs[index] = nil  // ownership moves to the OutputTensor
                result.append(try OutputTensor(runtime: runtime, name: outputNames[index], value: value))
            }
        } catch {
            outputs.forEach { api.ReleaseValue?($0) }
            throw error
        }
        return result
    }

    // MARK: - Metadata

    private static func describe(_ api: OrtApi, _ session: OpaquePointer, allocator: OpaquePointer, outputs: Bool) throws -> [TensorInfo] {
        var count = 0
        try check(api, entry(outputs ? api.SessionGetOutputCount : api.SessionGetInputCount)(session, &count))
        var result: [TensorInfo] = []
        for index in 0..<count {
            var rawName: UnsafeMutablePointer<CChar>?
            try check(api, entry(outputs ? api.SessionGetOutputName : api.SessionGetInputName)(session, index, allocator, &rawName))
            let name = rawName.map { String(cString: $0) } ?? ""
            if let rawName { _ = api.AllocatorFree?(allocator, rawName).map { api.ReleaseStatus?($0) } }
            var typeInfo: OpaquePointer?
            try check(api, entry(outputs ? api.SessionGetOutputTypeInfo : api.SessionGetInputTypeInfo)(session, index, &typeInfo))
            defer { api.ReleaseTypeInfo?(typeInfo) }
            var onnxType = ONNX_TYPE_UNKNOWN
            try check(api, entry(api.GetOnnxTypeFromTypeInfo)(typeInfo, &onnxType))
            guard onnxType == ONNX_TYPE_TENSOR else {
                result.append(TensorInfo(name: name, elementType: nil, shape: []))
                continue
            }
            var tensorInfo: OpaquePointer?
            try check(api, entry(api.CastTypeInfoToTensorInfo)(typeInfo, &tensorInfo))
            let (type, shape, names) = try typeAndShape(api, tensorInfo)
            result.append(TensorInfo(name: name, elementType: type, shape: shape, dimensionNames: names))
        }
        return result
    }
}

/// A model output, read in place from ONNX Runtime's buffer and released with this object.
public final class OutputTensor: @unchecked Sendable {
    // Immutable after init; the buffer is only read.
    public let name: String
    public let elementType: TensorElementType
    public let shape: [Int64]
    /// The elements of a `.string` output (copied out, since ONNX Runtime stores std::strings).
    public let strings: [[UInt8]]
    private let runtime: ORTRuntime
    private let value: OpaquePointer?
    private let data: UnsafeRawPointer?
    public let byteCount: Int

    fileprivate init(runtime: ORTRuntime, name: String, value: OpaquePointer) throws {
        let api = runtime.api
        self.runtime = runtime
        self.name = name
        var info: OpaquePointer?
        do {
            try check(api, entry(api.GetTensorTypeAndShape)(value, &info))
        } catch {
            api.ReleaseValue?(value)
            throw error
        }
        defer { api.ReleaseTensorTypeAndShapeInfo?(info) }
        let described: (TensorElementType?, [Int64], [String])
        do {
            described = try typeAndShape(api, info)
        } catch {
            api.ReleaseValue?(value)
            throw error
        }
        guard let type = described.0 else {
            api.ReleaseValue?(value)
            throw ORTError.invalidArgument("output '\(name)' has an element type this server does not serve")
        }
        self.elementType = type
        self.shape = described.1
        let count = Shape.elementCount(described.1) ?? 0
        if type == .string {
            var strings: [[UInt8]] = []
            do {
                strings = try Self.readStrings(api, value, count: count)
            } catch {
                api.ReleaseValue?(value)
                throw error
            }
            api.ReleaseValue?(value)
            self.strings = strings
            self.value = nil
            self.data = nil
            self.byteCount = 0
        } else {
            var pointer: UnsafeMutableRawPointer?
            do {
                try check(api, entry(api.GetTensorMutableData)(value, &pointer))
            } catch {
                api.ReleaseValue?(value)
                throw error
            }
            self.strings = []
            self.value = value
            self.data = UnsafeRawPointer(pointer)
            self.byteCount = count * (type.byteWidth ?? 0)
        }
    }

    deinit {
        runtime.api.ReleaseValue?(value)
    }

    /// The output's elements as raw bytes, without copying.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: byteCount == 0 ? nil : data, count: byteCount))
    }

    private static func readStrings(_ api: OrtApi, _ value: OpaquePointer, count: Int) throws -> [[UInt8]] {
        guard count > 0 else { return [] }
        var total = 0
        try check(api, entry(api.GetStringTensorDataLength)(value, &total))
        var content = [UInt8](repeating: 0, count: max(total, 1))
        var offsets = [Int](repeating: 0, count: count)
        try content.withUnsafeMutableBytes { bytes in
            try offsets.withUnsafeMutableBufferPointer { offs in
                try check(api, entry(api.GetStringTensorContent)(value, bytes.baseAddress, total, offs.baseAddress, count))
            }
        }
        return (0..<count).map { index in
            let start = offsets[index]
            let end = index + 1 < count ? offsets[index + 1] : total
            return Array(content[start..<max(start, end)])
        }
    }
}

// MARK: - Helpers

/// Reads element type, dimensions and symbolic dimension names from a borrowed OrtTensorTypeAndShapeInfo.
private func typeAndShape(_ api: OrtApi, _ info: OpaquePointer?) throws -> (TensorElementType?, [Int64], [String]) {
    var rawType = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED
    try check(api, entry(api.GetTensorElementType)(info, &rawType))
    var rank = 0
    try check(api, entry(api.GetDimensionsCount)(info, &rank))
    var dims = [Int64](repeating: 0, count: rank)
    var symbols = [UnsafePointer<CChar>?](repeating: nil, count: rank)
    if rank > 0 {
        try dims.withUnsafeMutableBufferPointer { buffer in
            try check(api, entry(api.GetDimensions)(info, buffer.baseAddress, rank))
        }
        try symbols.withUnsafeMutableBufferPointer { buffer in
            try check(api, entry(api.GetSymbolicDimensions)(info, buffer.baseAddress, rank))
        }
    }
    let type = TensorElementType(rawValue: Int32(rawType.rawValue))
    return (type, dims.map { $0 < 0 ? -1 : $0 }, symbols.map { $0.map { String(cString: $0) } ?? "" })
}

/// A table entry we rely on; NULL would mean a library that does not follow the published ABI.
private func entry<F>(_ function: F?) throws(ORTError) -> F {
    guard let function else {
        throw .runtime(code: "ORT_NOT_IMPLEMENTED", message: "this ONNX Runtime library leaves a required C API entry empty")
    }
    return function
}

/// Turns an `OrtStatus*` into `ORTError.runtime`, releasing the status.
private func check(_ api: OrtApi, _ status: OpaquePointer?) throws(ORTError) {
    guard let status else { return }
    defer { api.ReleaseStatus?(status) }
    let code = api.GetErrorCode?(status) ?? ORT_FAIL
    let message = api.GetErrorMessage?(status).map { String(cString: $0) } ?? "(no message)"
    throw .runtime(code: errorCodeName(code), message: message)
}

private func errorCodeName(_ code: OrtErrorCode) -> String {
    switch code {
    case ORT_OK: return "ORT_OK"
    case ORT_FAIL: return "ORT_FAIL"
    case ORT_INVALID_ARGUMENT: return "ORT_INVALID_ARGUMENT"
    case ORT_NO_SUCHFILE: return "ORT_NO_SUCHFILE"
    case ORT_NO_MODEL: return "ORT_NO_MODEL"
    case ORT_ENGINE_ERROR: return "ORT_ENGINE_ERROR"
    case ORT_RUNTIME_EXCEPTION: return "ORT_RUNTIME_EXCEPTION"
    case ORT_INVALID_PROTOBUF: return "ORT_INVALID_PROTOBUF"
    case ORT_MODEL_LOADED: return "ORT_MODEL_LOADED"
    case ORT_NOT_IMPLEMENTED: return "ORT_NOT_IMPLEMENTED"
    case ORT_INVALID_GRAPH: return "ORT_INVALID_GRAPH"
    case ORT_EP_FAIL: return "ORT_EP_FAIL"
    default: return "ORT_ERROR_\(code.rawValue)"
    }
}
