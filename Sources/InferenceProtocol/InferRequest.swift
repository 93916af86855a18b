import NIOCore
import ONNXRuntime

/// A decoded `POST .../infer` request. Tensor data either points into the
/// request body (binary extension, no copy) or was converted from JSON once.
public struct InferRequest: Sendable {
    public struct Input: Sendable {
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
    }

    public struct RequestedOutput: Sendable, Equatable {
        public let name: String
        public let binary: Bool
        public init(name: String, binary: Bool) {
            self.name = name
            self.binary = binary
        }
    }

    public let id: String?
    public let inputs: [Input]
    /// nil: every model output, in JSON unless `binaryOutputByDefault`.
    public let outputs: [RequestedOutput]?
    public let binaryOutputByDefault: Bool

    public init(id: String?, inputs: [Input], outputs: [RequestedOutput]?, binaryOutputByDefault: Bool) {
        self.id = id
        self.inputs = inputs
        self.outputs = outputs
        self.binaryOutputByDefault = binaryOutputByDefault
    }
}

extension ByteBuffer: TensorBytes {
    public var byteCount: Int { readableBytes }
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeReadableBytes(body)
    }
}
