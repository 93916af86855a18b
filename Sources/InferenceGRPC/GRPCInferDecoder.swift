#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import GRPCPredictV2
import InferenceProtocol
import NIOCore
import ONNXRuntime

/// Turns a gRPC `ModelInferRequest` into the same `InferRequest` the HTTP decoder
/// makes, with the same limits and the same error wording where the cases match.
/// Pure, and never traps on bad input (fuzzed by Fuzz/InferRequestFuzz's gRPC target).
///
/// Tensor data comes either from `raw_input_contents` (one entry per input, all or
/// none, as Triton requires) or from the input's typed `contents` field for its
/// datatype (`fp32_contents` for FP32, `int_contents` for INT8/16/32, ...; FP16 has
/// no typed field and must be raw). Raw numeric data is handed to ONNX Runtime as the
/// message's own bytes, without a copy.
public enum GRPCInferDecoder {
    public static func decode(_ message: Inference_ModelInferRequest) throws(InferenceError) -> InferRequest {
        let raw = message.rawInputContents
        guard raw.isEmpty || raw.count == message.inputs.count else {
            throw .badRequest("raw_input_contents has \(raw.count) entries for \(message.inputs.count) inputs: "
                + "give one per input, in the order of 'inputs', or none")
        }
        var inputs: [InferRequest.Input] = []
        inputs.reserveCapacity(message.inputs.count)
        var seen = Set<String>()
        for (index, tensor) in message.inputs.enumerated() {
            let name = tensor.name
            guard !name.isEmpty else { throw .badRequest("inputs[\(index)] needs a name") }
            guard seen.insert(name).inserted else { throw .badRequest("input '\(name)' is given twice") }
            guard let type = V2Datatype.type(named: tensor.datatype) else {
                throw .badRequest("input '\(name)': unknown datatype '\(tensor.datatype)'")
            }
            guard tensor.shape.allSatisfy({ $0 >= 0 }) else {
                throw .badRequest("input '\(name)': shape dimensions must be non-negative integers")
            }
            guard let count = Shape.elementCount(tensor.shape), count <= InferRequestDecoder.maxElements else {
                throw .badRequest("input '\(name)': shape \(tensor.shape) has too many elements")
            }
            let data: TensorData
            if raw.isEmpty {
                guard tensor.hasContents else { throw .badRequest("input '\(name)' has no contents and there is no raw_input_contents") }
                data = try typedData(tensor.contents, type: type, count: count, name: name)
            } else {
                if tensor.hasContents, !TypedContents.isEmpty(tensor.contents) {
                    throw .badRequest("input '\(name)' has both contents and raw_input_contents")
                }
                data = try rawData(raw[index], type: type, count: count, name: name)
            }
            inputs.append(InferRequest.Input(name: name, elementType: type, shape: tensor.shape, data: data))
        }
        var outputs: [InferRequest.RequestedOutput]?
        if !message.outputs.isEmpty {
            outputs = []
            for (index, output) in message.outputs.enumerated() {
                guard !output.name.isEmpty else { throw .badRequest("outputs[\(index)] needs a name") }
                if let classes = output.parameters["classification"], classes.parameterChoice != nil {
                    throw .badRequest("output '\(output.name)': the classification extension is not supported")
                }
                // gRPC responses always carry raw_output_contents, so `binary` only mirrors HTTP's field.
                outputs?.append(.init(name: output.name, binary: true))
            }
        }
        return InferRequest(id: message.id.isEmpty ? nil : message.id, inputs: inputs, outputs: outputs, binaryOutputByDefault: true)
    }

    /// One `raw_input_contents` entry: little-endian elements kept as the message's bytes, or
    /// for BYTES the same length-prefixed elements as the HTTP binary extension.
    static func rawData(_ bytes: Data, type: TensorElementType, count: Int, name: String) throws(InferenceError) -> TensorData {
        guard let width = type.byteWidth else {
            // BYTES elements are copied into strings anyway; parse them as HTTP's binary data.
            return try InferRequestDecoder.binaryData(ByteBuffer(bytes: bytes), type: type, count: count, name: name)
        }
        guard bytes.count == count * width else {
            throw .badRequest("input '\(name)': raw_input_contents has \(bytes.count) bytes but the shape needs \(count * width)")
        }
        if type == .bool, bytes.contains(where: { $0 > 1 }) {
            throw .badRequest("input '\(name)': BOOL bytes must be 0 or 1")
        }
        return .raw(MessageBytes(bytes))
    }

    /// The typed field the datatype reads, converted once into element storage.
    static func typedData(_ contents: Inference_InferTensorContents, type: TensorElementType, count: Int,
                          name: String) throws(InferenceError) -> TensorData {
        let field = TypedContents.field(for: type)
        if let other = TypedContents.filled(contents).first(where: { $0 != field }) {
            throw .badRequest("input '\(name)': \(V2Datatype.name(of: type)) data belongs in \(field?.rawValue ?? "raw_input_contents"), "
                + "not \(other.rawValue)")
        }
        let given = field.map { TypedContents.count(contents, $0) } ?? 0
        guard given == count else {
            throw .badRequest("input '\(name)': shape needs \(count) elements, \(field?.rawValue ?? "contents") has \(given)")
        }
        func narrowed<Wide: BinaryInteger, Narrow: FixedWidthInteger & BitwiseCopyable & Sendable>(_ values: [Wide], _: Narrow.Type) throws(InferenceError)
            -> TensorData
        {
            var out: [Narrow] = []
            out.reserveCapacity(values.count)
            for value in values {
                guard let exact = Narrow(exactly: value) else {
                    throw .badRequest("input '\(name)': \(value) is not a valid \(V2Datatype.name(of: type))")
                }
                out.append(exact)
            }
            return .raw(ElementArray(out))
        }
        switch type {
        case .bool: return .raw(ElementArray(contents.boolContents.map { UInt8($0 ? 1 : 0) }))
        case .int8: return try narrowed(contents.intContents, Int8.self)
        case .int16: return try narrowed(contents.intContents, Int16.self)
        case .int32: return .raw(ElementArray(contents.intContents))
        case .int64: return .raw(ElementArray(contents.int64Contents))
        case .uint8: return try narrowed(contents.uintContents, UInt8.self)
        case .uint16: return try narrowed(contents.uintContents, UInt16.self)
        case .uint32: return .raw(ElementArray(contents.uintContents))
        case .uint64: return .raw(ElementArray(contents.uint64Contents))
        case .float32: return .raw(ElementArray(contents.fp32Contents))
        case .float64: return .raw(ElementArray(contents.fp64Contents))
        case .string: return .strings(contents.bytesContents.map { Array($0) })
        case .float16: throw .badRequest("input '\(name)': FP16 has no typed contents field; send it in raw_input_contents")
        }
    }
}

/// The typed repeated fields of `InferTensorContents`, by their protocol names.
enum TypedContents: String, CaseIterable {
    case bool = "bool_contents", int = "int_contents", int64 = "int64_contents", uint = "uint_contents"
    case uint64 = "uint64_contents", fp32 = "fp32_contents", fp64 = "fp64_contents", bytes = "bytes_contents"

    /// The field a datatype's elements go in; nil for FP16, which has none.
    static func field(for type: TensorElementType) -> TypedContents? {
        switch type {
        case .bool: return .bool
        case .int8, .int16, .int32: return .int
        case .int64: return .int64
        case .uint8, .uint16, .uint32: return .uint
        case .uint64: return .uint64
        case .float32: return .fp32
        case .float64: return .fp64
        case .string: return .bytes
        case .float16: return nil
        }
    }

    static func count(_ contents: Inference_InferTensorContents, _ field: TypedContents) -> Int {
        switch field {
        case .bool: return contents.boolContents.count
        case .int: return contents.intContents.count
        case .int64: return contents.int64Contents.count
        case .uint: return contents.uintContents.count
        case .uint64: return contents.uint64Contents.count
        case .fp32: return contents.fp32Contents.count
        case .fp64: return contents.fp64Contents.count
        case .bytes: return contents.bytesContents.count
        }
    }

    static func filled(_ contents: Inference_InferTensorContents) -> [TypedContents] {
        allCases.filter { count(contents, $0) > 0 }
    }

    static func isEmpty(_ contents: Inference_InferTensorContents) -> Bool { filled(contents).isEmpty }
}

/// A protobuf `bytes` field as tensor bytes: ONNX Runtime reads the message's storage in place.
public struct MessageBytes: TensorBytes {
    public let data: Data
    public init(_ data: Data) { self.data = data }
    public var byteCount: Int { data.count }
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try data.withUnsafeBytes(body)
    }
}
