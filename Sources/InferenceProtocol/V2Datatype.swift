import ONNXRuntime

/// The v2 protocol's datatype names and how they map to ONNX element types.
public enum V2Datatype {
    public static func name(of type: TensorElementType) -> String {
        switch type {
        case .bool: return "BOOL"
        case .uint8: return "UINT8"
        case .uint16: return "UINT16"
        case .uint32: return "UINT32"
        case .uint64: return "UINT64"
        case .int8: return "INT8"
        case .int16: return "INT16"
        case .int32: return "INT32"
        case .int64: return "INT64"
        case .float16: return "FP16"
        case .float32: return "FP32"
        case .float64: return "FP64"
        case .string: return "BYTES"
        }
    }

    public static func type(named name: String) -> TensorElementType? {
        TensorElementType.allCases.first { Self.name(of: $0) == name }
    }
}
