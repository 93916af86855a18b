import JSONValue
import NIOCore
import ONNXRuntime

/// One output of one request: a slice of a (possibly batched) ONNX Runtime output, read in place.
public struct OutputSlice: Sendable {
    public let tensor: OutputTensor
    public let shape: [Int64]
    /// Bytes of this request's rows inside `tensor` (numeric outputs).
    public let byteRange: Range<Int>
    /// Elements of this request's rows inside `tensor.strings` (BYTES outputs).
    public let stringRange: Range<Int>
    public var name: String { tensor.name }
    public var elementType: TensorElementType { tensor.elementType }

    public init(tensor: OutputTensor, shape: [Int64], byteRange: Range<Int>, stringRange: Range<Int>) {
        self.tensor = tensor
        self.shape = shape
        self.byteRange = byteRange
        self.stringRange = stringRange
    }

    public static func whole(_ tensor: OutputTensor) -> OutputSlice {
        OutputSlice(tensor: tensor, shape: tensor.shape, byteRange: 0..<tensor.byteCount, stringRange: 0..<tensor.strings.count)
    }
}

/// Encoded response body plus the extra header the binary extension needs.
public struct EncodedResponse: Sendable {
    public let body: ByteBuffer
    /// Set when the body carries binary tensors after the JSON header.
    public let jsonHeaderLength: Int?
}

/// Writes v2 responses straight into a ByteBuffer, reading output elements in place.
public enum InferResponseEncoder {
    public static func encode(modelName: String, modelVersion: String, id: String?, outputs: [(OutputSlice, binary: Bool)]) -> EncodedResponse {
        // Binary outputs need exactly their bytes; JSON numbers take about two characters per byte.
        var body = ByteBufferAllocator().buffer(capacity: 256 + outputs.reduce(0) { $0 + $1.0.byteRange.count * ($1.binary ? 1 : 2) })
        body.writeString("{\"model_name\":")
        body.writeString(JSON.string(modelName).serialized())
        body.writeString(",\"model_version\":")
        body.writeString(JSON.string(modelVersion).serialized())
        if let id {
            body.writeString(",\"id\":")
            body.writeString(JSON.string(id).serialized())
        }
        body.writeString(",\"outputs\":[")
        var anyBinary = false
        for (index, (slice, binary)) in outputs.enumerated() {
            if index > 0 { body.writeString(",") }
            body.writeString("{\"name\":")
            body.writeString(JSON.string(slice.name).serialized())
            body.writeString(",\"datatype\":\"\(V2Datatype.name(of: slice.elementType))\",\"shape\":[")
            body.writeString(slice.shape.map(String.init).joined(separator: ","))
            body.writeString("]")
            if binary {
                anyBinary = true
                body.writeString(",\"parameters\":{\"binary_data_size\":\(binarySize(slice))}}")
            } else {
                body.writeString(",\"data\":[")
                writeJSONData(slice, into: &body)
                body.writeString("]}")
            }
        }
        body.writeString("]}")
        guard anyBinary else { return EncodedResponse(body: body, jsonHeaderLength: nil) }
        let headerLength = body.readableBytes
        for (slice, binary) in outputs where binary {
            writeBinaryData(slice, into: &body)
        }
        return EncodedResponse(body: body, jsonHeaderLength: headerLength)
    }

    static func binarySize(_ slice: OutputSlice) -> Int {
        if slice.elementType == .string {
            return slice.tensor.strings[slice.stringRange].reduce(0) { $0 + 4 + $1.count }
        }
        return slice.byteRange.count
    }

    static func writeBinaryData(_ slice: OutputSlice, into body: inout ByteBuffer) {
        if slice.elementType == .string {
            for element in slice.tensor.strings[slice.stringRange] {
                body.writeInteger(UInt32(element.count), endianness: .little)
                body.writeBytes(element)
            }
            return
        }
        slice.tensor.withUnsafeBytes { raw -> Void in
            body.writeBytes(UnsafeRawBufferPointer(rebasing: raw[slice.byteRange]))
        }
        DataMovement.responseBinaryBytes.add(slice.byteRange.count, ordering: .relaxed)
    }

    /// Elements as JSON numbers; non-finite floats become `null` (JSON has no NaN/Infinity; use binary output for those).
    static func writeJSONData(_ slice: OutputSlice, into body: inout ByteBuffer) {
        if slice.elementType == .string {
            var first = true
            for element in slice.tensor.strings[slice.stringRange] {
                if !first { body.writeString(",") }
                first = false
                body.writeString(JSON.string(String(decoding: element, as: UTF8.self)).serialized())
            }
            return
        }
        slice.tensor.withUnsafeBytes { whole in
            let raw = UnsafeRawBufferPointer(rebasing: whole[slice.byteRange])
            switch slice.elementType {
            case .bool: writeList(raw, UInt8.self, into: &body) { $0 != 0 ? "true" : "false" }
            case .uint8: writeList(raw, UInt8.self, into: &body) { String($0) }
            case .uint16: writeList(raw, UInt16.self, into: &body) { String($0) }
            case .uint32: writeList(raw, UInt32.self, into: &body) { String($0) }
            case .uint64: writeList(raw, UInt64.self, into: &body) { String($0) }
            case .int8: writeList(raw, Int8.self, into: &body) { String($0) }
            case .int16: writeList(raw, Int16.self, into: &body) { String($0) }
            case .int32: writeList(raw, Int32.self, into: &body) { String($0) }
            case .int64: writeList(raw, Int64.self, into: &body) { String($0) }
            case .float16: writeList(raw, UInt16.self, into: &body) { number(Double(Float16(bitPattern: $0))) }
            case .float32: writeList(raw, UInt32.self, into: &body) { number(Float(bitPattern: $0)) }
            case .float64: writeList(raw, UInt64.self, into: &body) { number(Double(bitPattern: $0)) }
            case .string: break
            }
        }
    }

    private static func number<F: BinaryFloatingPoint & LosslessStringConvertible>(_ value: F) -> String {
        value.isFinite ? value.description : "null"
    }

    private static func writeList<T: FixedWidthInteger>(
        _ raw: UnsafeRawBufferPointer, _: T.Type, into body: inout ByteBuffer, _ format: (T) -> String
    ) {
        let count = raw.count / MemoryLayout<T>.size
        for index in 0..<count {
            if index > 0 { body.writeString(",") }
            let value = T(littleEndian: raw.loadUnaligned(fromByteOffset: index * MemoryLayout<T>.size, as: T.self))
            body.writeString(format(value))
        }
    }
}
