import JSONValue
import NIOCore
import ONNXRuntime

/// Turns an HTTP body into an `InferRequest`: pure, no model knowledge, never traps
/// on bad input (fuzzed by Fuzz/InferRequestFuzz).
public enum InferRequestDecoder {
    /// Largest element count accepted for one tensor, so a tiny JSON shape cannot demand a huge allocation.
    public static let maxElements = 1 << 28

    /// - Parameter headerLength: `Inference-Header-Content-Length` when present (binary extension).
    public static func decode(body: ByteBuffer, headerLength: Int?) throws(InferenceError) -> InferRequest {
        let jsonLength = headerLength ?? body.readableBytes
        guard jsonLength >= 0, jsonLength <= body.readableBytes else {
            throw .badRequest("Inference-Header-Content-Length \(jsonLength) is outside the body of \(body.readableBytes) bytes")
        }
        guard let jsonPart = body.getSlice(at: body.readerIndex, length: jsonLength) else {
            throw .badRequest("cannot read the JSON header")
        }
        let json: JSON
        do {
            json = try JSON.parse(jsonPart.readableBytesView)
        } catch {
            throw .badRequest("malformed JSON: \(error)")
        }
        guard case .object(let root) = json else { throw .badRequest("the request must be a JSON object") }
        var binaryOffset = body.readerIndex + jsonLength
        let binaryEnd = body.readerIndex + body.readableBytes

        let id: String?
        switch root["id"] {
        case nil, .null?: id = nil
        case .string(let s)?: id = s
        default: throw .badRequest("'id' must be a string")
        }
        let binaryDefault = try boolParameter(root["parameters"], "binary_data_output", context: "request") ?? false

        guard case .array(let inputList)? = root["inputs"] else { throw .badRequest("'inputs' must be an array") }
        var inputs: [InferRequest.Input] = []
        var seen = Set<String>()
        for (index, entry) in inputList.enumerated() {
            guard case .object(let object) = entry else { throw .badRequest("inputs[\(index)] must be an object") }
            guard case .string(let name)? = object["name"] else { throw .badRequest("inputs[\(index)] needs a string 'name'") }
            guard seen.insert(name).inserted else { throw .badRequest("input '\(name)' is given twice") }
            guard case .string(let datatypeName)? = object["datatype"] else { throw .badRequest("input '\(name)' needs a string 'datatype'") }
            guard let type = V2Datatype.type(named: datatypeName) else {
                throw .badRequest("input '\(name)': unknown datatype '\(datatypeName)'")
            }
            let shape = try decodeShape(object["shape"], name: name)
            guard let count = Shape.elementCount(shape), count <= maxElements else {
                throw .badRequest("input '\(name)': shape \(shape) has too many elements")
            }
            let binarySize = try intParameter(object["parameters"], "binary_data_size", context: "input '\(name)'")
            let data: TensorData
            if let size = binarySize {
                guard object["data"] == nil else { throw .badRequest("input '\(name)' has both 'data' and binary_data_size") }
                guard size >= 0, size <= binaryEnd - binaryOffset, let slice = body.getSlice(at: binaryOffset, length: size) else {
                    throw .badRequest("input '\(name)': binary_data_size \(size) runs past the end of the body")
                }
                binaryOffset += size
                data = try binaryData(slice, type: type, count: count, name: name)
            } else {
                guard let raw = object["data"] else { throw .badRequest("input '\(name)' has no 'data'") }
                data = try jsonData(raw, type: type, count: count, name: name)
            }
            inputs.append(InferRequest.Input(name: name, elementType: type, shape: shape, data: data))
        }
        guard binaryOffset == binaryEnd else {
            throw .badRequest("\(binaryEnd - binaryOffset) bytes after the JSON header belong to no input")
        }

        var outputs: [InferRequest.RequestedOutput]?
        switch root["outputs"] {
        case nil, .null?: outputs = nil
        case .array(let list)?:
            outputs = []
            for (index, entry) in list.enumerated() {
                guard case .object(let object) = entry, case .string(let name)? = object["name"] else {
                    throw .badRequest("outputs[\(index)] needs a string 'name'")
                }
                let binary = try boolParameter(object["parameters"], "binary_data", context: "output '\(name)'") ?? binaryDefault
                outputs?.append(.init(name: name, binary: binary))
            }
        default: throw .badRequest("'outputs' must be an array")
        }
        return InferRequest(id: id, inputs: inputs, outputs: outputs, binaryOutputByDefault: binaryDefault)
    }

    // MARK: - Pieces

    static func decodeShape(_ value: JSON?, name: String) throws(InferenceError) -> [Int64] {
        guard case .array(let dims)? = value else { throw .badRequest("input '\(name)' needs a 'shape' array") }
        var shape: [Int64] = []
        for dim in dims {
            guard case .int(let d) = dim, d >= 0 else {
                throw .badRequest("input '\(name)': shape dimensions must be non-negative integers")
            }
            shape.append(d)
        }
        return shape
    }

    static func boolParameter(_ parameters: JSON?, _ key: String, context: String) throws(InferenceError) -> Bool? {
        guard let parameters, !parameters.isNull else { return nil }
        guard case .object(let object) = parameters else { throw .badRequest("\(context): 'parameters' must be an object") }
        switch object[key] {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        default: throw .badRequest("\(context): parameter '\(key)' must be a boolean")
        }
    }

    static func intParameter(_ parameters: JSON?, _ key: String, context: String) throws(InferenceError) -> Int? {
        guard let parameters, !parameters.isNull else { return nil }
        guard case .object(let object) = parameters else { throw .badRequest("\(context): 'parameters' must be an object") }
        switch object[key] {
        case nil, .null?: return nil
        case .int(let n)?: return Int(exactly: n)
        default: throw .badRequest("\(context): parameter '\(key)' must be an integer")
        }
    }

    /// Binary tensor data: raw little-endian elements (kept as a slice of the body), or for
    /// BYTES a sequence of 4-byte little-endian lengths each followed by that many bytes.
    public static func binaryData(_ slice: ByteBuffer, type: TensorElementType, count: Int, name: String) throws(InferenceError) -> TensorData {
        if let width = type.byteWidth {
            guard slice.readableBytes == count * width else {
                throw .badRequest("input '\(name)': binary_data_size is \(slice.readableBytes) but the shape needs \(count * width) bytes")
            }
            if type == .bool, slice.readableBytesView.contains(where: { $0 > 1 }) {
                throw .badRequest("input '\(name)': BOOL bytes must be 0 or 1")
            }
            return .raw(slice)
        }
        var reader = slice
        var strings: [[UInt8]] = []
        strings.reserveCapacity(min(count, 4096))
        while reader.readableBytes > 0 {
            guard let length = reader.readInteger(endianness: .little, as: UInt32.self),
                  let bytes = reader.readBytes(length: Int(length)) else {
                throw .badRequest("input '\(name)': BYTES element \(strings.count) is cut short")
            }
            strings.append(bytes)
        }
        guard strings.count == count else {
            throw .badRequest("input '\(name)': shape needs \(count) BYTES elements, got \(strings.count)")
        }
        return .strings(strings)
    }

    /// JSON tensor data, flat or nested, converted once into a little-endian buffer.
    static func jsonData(_ value: JSON, type: TensorElementType, count: Int, name: String) throws(InferenceError) -> TensorData {
        var flat: [JSON] = []
        flat.reserveCapacity(min(count, 1 << 16))
        try flatten(value, into: &flat, limit: count, name: name)
        guard flat.count == count else {
            throw .badRequest("input '\(name)': shape needs \(count) elements, data has \(flat.count)")
        }
        if type == .string {
            var strings: [[UInt8]] = []
            strings.reserveCapacity(count)
            for element in flat {
                guard case .string(let s) = element else { throw .badRequest("input '\(name)': BYTES data must be strings") }
                strings.append(Array(s.utf8))
            }
            return .strings(strings)
        }
        var buffer = ByteBufferAllocator().buffer(capacity: count * (type.byteWidth ?? 1))
        for element in flat {
            try write(element, as: type, into: &buffer, name: name)
        }
        DataMovement.jsonInputBytes.add(buffer.readableBytes, ordering: .relaxed)
        return .raw(buffer)
    }

    private static func flatten(_ value: JSON, into flat: inout [JSON], limit: Int, name: String, depth: Int = 0) throws(InferenceError) {
        guard depth < 64 else { throw .badRequest("input '\(name)': data is nested too deeply") }
        if case .array(let items) = value {
            for item in items {
                try flatten(item, into: &flat, limit: limit, name: name, depth: depth + 1)
                if flat.count > limit { throw .badRequest("input '\(name)': data has more elements than the shape") }
            }
        } else {
            flat.append(value)
        }
    }

    private static func write(_ element: JSON, as type: TensorElementType, into buffer: inout ByteBuffer, name: String) throws(InferenceError) {
        func integer<T: FixedWidthInteger>(_: T.Type) throws(InferenceError) -> T {
            switch element {
            case .int(let v):
                if let exact = T(exactly: v) { return exact }
            case .double(let d):
                if let exact = T(exactly: d) { return exact }
            default: break
            }
            throw .badRequest("input '\(name)': \(element.serialized()) is not a valid \(V2Datatype.name(of: type))")
        }
        func real() throws(InferenceError) -> Double {
            switch element {
            case .int(let v): return Double(v)
            case .double(let d): return d
            default: throw .badRequest("input '\(name)': \(element.serialized()) is not a number")
            }
        }
        switch type {
        case .bool:
            guard case .bool(let b) = element else { throw .badRequest("input '\(name)': BOOL data must be true or false") }
            buffer.writeInteger(UInt8(b ? 1 : 0))
        case .uint8: buffer.writeInteger(try integer(UInt8.self))
        case .uint16: buffer.writeInteger(try integer(UInt16.self), endianness: .little)
        case .uint32: buffer.writeInteger(try integer(UInt32.self), endianness: .little)
        case .uint64: buffer.writeInteger(try integer(UInt64.self), endianness: .little)
        case .int8: buffer.writeInteger(try integer(Int8.self))
        case .int16: buffer.writeInteger(try integer(Int16.self), endianness: .little)
        case .int32: buffer.writeInteger(try integer(Int32.self), endianness: .little)
        case .int64: buffer.writeInteger(try integer(Int64.self), endianness: .little)
        case .float16: buffer.writeInteger(Float16(try real()).bitPattern, endianness: .little)
        case .float32: buffer.writeInteger(Float(try real()).bitPattern, endianness: .little)
        case .float64: buffer.writeInteger(try real().bitPattern, endianness: .little)
        case .string: throw .badRequest("input '\(name)': BYTES data must be strings")
        }
    }
}
