/// Contiguous bytes ONNX Runtime can read in place. Conformers promise that the
/// bytes stay valid and unchanged for the duration of `withUnsafeBytes`.
public protocol TensorBytes: Sendable {
    var byteCount: Int { get }
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: TensorBytes where Element == UInt8 {
    public var byteCount: Int { count }
}

/// Typed elements (Float, Int64, ...) as tensor bytes, for callers that build inputs in Swift.
public struct ElementArray<Element: BitwiseCopyable & Sendable>: TensorBytes {
    public var elements: [Element]
    public init(_ elements: [Element]) { self.elements = elements }
    public var byteCount: Int { elements.count * MemoryLayout<Element>.stride }
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try elements.withUnsafeBytes(body)
    }
}

/// What an input tensor carries: raw little-endian elements, or strings for `.string` tensors.
public enum TensorData: Sendable {
    case raw(any TensorBytes)
    case strings([[UInt8]])
}

/// An input for `ORTSession.run`. Raw data is handed to ONNX Runtime without a copy.
public struct InputTensor: Sendable {
    public let name: String
    public let elementType: TensorElementType
    public let shape: [Int64]
    public let data: TensorData

    public init(name: String, elementType: TensorElementType, shape: [Int64], data: TensorData) {
        self.name = name
        self.elementType = elementType
        self.shape = shape
        self.data = data
    }

    /// Checks that the data matches the shape and type, so ONNX Runtime never reads past a buffer.
    func validate() throws(ORTError) {
        guard let count = Shape.elementCount(shape) else {
            throw .invalidArgument("input '\(name)': shape \(shape) has a negative or too large dimension")
        }
        switch data {
        case .raw(let bytes):
            guard let width = elementType.byteWidth else {
                throw .invalidArgument("input '\(name)': string tensors need string data")
            }
            guard bytes.byteCount == count * width else {
                throw .invalidArgument(
                    "input '\(name)': shape \(shape) needs \(count * width) bytes of \(elementType), got \(bytes.byteCount)")
            }
        case .strings(let strings):
            guard elementType == .string else {
                throw .invalidArgument("input '\(name)': string data given for a \(elementType) tensor")
            }
            guard strings.count == count else {
                throw .invalidArgument("input '\(name)': shape \(shape) needs \(count) strings, got \(strings.count)")
            }
            // The C API takes NUL-terminated strings, so an embedded NUL would silently cut the element.
            if strings.contains(where: { $0.contains(0) }) {
                throw .invalidArgument("input '\(name)': string elements must not contain NUL bytes")
            }
        }
    }
}

/// Shape arithmetic shared by the wrapper and its callers.
public enum Shape {
    /// Product of the dimensions, or nil when one is negative or the product overflows.
    public static func elementCount(_ shape: [Int64]) -> Int? {
        var total = 1
        for dim in shape {
            guard dim >= 0, let d = Int(exactly: dim) else { return nil }
            let (product, overflow) = total.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            total = product
        }
        return total
    }
}
