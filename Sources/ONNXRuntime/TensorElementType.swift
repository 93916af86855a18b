/// Tensor element types, numbered as ONNX's `TensorProto.DataType` (and ONNX Runtime's
/// `ONNXTensorElementDataType`).
public enum TensorElementType: Int32, Sendable, CaseIterable {
    case float32 = 1
    case uint8 = 2
    case int8 = 3
    case uint16 = 4
    case int16 = 5
    case int32 = 6
    case int64 = 7
    case string = 8
    case bool = 9
    case float16 = 10
    case float64 = 11
    case uint32 = 12
    case uint64 = 13

    /// Bytes per element in ONNX Runtime's buffers; nil for strings (variable length).
    public var byteWidth: Int? {
        switch self {
        case .bool, .uint8, .int8: return 1
        case .uint16, .int16, .float16: return 2
        case .int32, .uint32, .float32: return 4
        case .int64, .uint64, .float64: return 8
        case .string: return nil
        }
    }
}
