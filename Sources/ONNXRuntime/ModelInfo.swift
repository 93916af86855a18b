/// Name, element type and shape of one model input or output as the model declares it.
public struct TensorInfo: Sendable, Equatable {
    public let name: String
    /// nil when the model uses a type we do not serve (e.g. bfloat16, complex, non-tensor values).
    public let elementType: TensorElementType?
    /// Declared dimensions; `-1` marks a dynamic dimension.
    public let shape: [Int64]
    /// Symbolic names of dimensions ("batch", "sequence"), empty string where none.
    public let dimensionNames: [String]

    public init(name: String, elementType: TensorElementType?, shape: [Int64], dimensionNames: [String] = []) {
        self.name = name
        self.elementType = elementType
        self.shape = shape
        self.dimensionNames = dimensionNames
    }

    /// True when the first dimension is dynamic, so requests can be stacked along it.
    public var hasDynamicBatchDimension: Bool { shape.first.map { $0 < 0 } ?? false }
}

/// The inputs and outputs of a loaded model.
public struct ModelInfo: Sendable, Equatable {
    public let inputs: [TensorInfo]
    public let outputs: [TensorInfo]

    public init(inputs: [TensorInfo], outputs: [TensorInfo]) {
        self.inputs = inputs
        self.outputs = outputs
    }

    /// A model can be dynamically batched when every input and output has a dynamic first dimension.
    public var supportsBatching: Bool {
        !inputs.isEmpty && (inputs + outputs).allSatisfy(\.hasDynamicBatchDimension)
    }
}
