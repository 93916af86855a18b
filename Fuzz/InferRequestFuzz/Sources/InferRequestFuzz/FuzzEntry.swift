import InferenceProtocol
import JSONValue
import NIOCore

/// libFuzzer entry: the first two bytes choose a header length (binary extension) or
/// none (0xFFFF); the rest is the body. Checks:
/// - the decoder answers with a request or an `InferenceError`, never traps;
/// - a decoded request written back in the binary extension (every input as
///   raw bytes after the JSON header) decodes to the same request: names,
///   types, shapes, element bytes, id and requested outputs.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size >= 2 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let selector = Int(bytes[0]) << 8 | Int(bytes[1])
    let body = ByteBuffer(bytes: bytes.dropFirst(2))
    let headerLength: Int? = selector == 0xFFFF ? nil : selector % (body.readableBytes + 2)
    guard let request = try? InferRequestDecoder.decode(body: body, headerLength: headerLength) else { return 0 }

    let (binaryBody, jsonLength) = binaryForm(of: request)
    let again: InferRequest
    do {
        again = try InferRequestDecoder.decode(body: binaryBody, headerLength: jsonLength)
    } catch {
        fatalError("a decoded request re-written in binary form does not decode: \(error)")
    }
    let (a, b) = (summary(of: request), summary(of: again))
    if a != b {
        fatalError("a request changes through binary re-encoding:\n\(a)\n--- vs\n\(b)")
    }
    return 0
}

/// Everything the server uses of a request, comparable.
struct Summary: Equatable {
    struct Input: Equatable {
        var name: String
        var datatype: String
        var shape: [Int64]
        var elements: [[UInt8]]
    }
    var id: String?
    var inputs: [Input]
    var outputs: [InferRequest.RequestedOutput]?
    var binaryByDefault: Bool
}

func summary(of request: InferRequest) -> Summary {
    Summary(
        id: request.id,
        inputs: request.inputs.map { input in
            Summary.Input(name: input.name, datatype: V2Datatype.name(of: input.elementType), shape: input.shape,
                          elements: elements(of: input))
        },
        outputs: request.outputs, binaryByDefault: request.binaryOutputByDefault)
}

/// Raw data as one element of all its bytes; strings one element each.
func elements(of input: InferRequest.Input) -> [[UInt8]] {
    switch input.data {
    case .raw(let raw): return [raw.withUnsafeBytes { Array($0) }]
    case .strings(let strings): return strings
    }
}

/// The binary extension form: JSON header with `binary_data_size`, then each input's bytes.
func binaryForm(of request: InferRequest) -> (ByteBuffer, Int) {
    var inputs: [JSON] = []
    var tail: [UInt8] = []
    for input in request.inputs {
        var payload: [UInt8] = []
        switch input.data {
        case .raw(let raw): payload = raw.withUnsafeBytes { Array($0) }
        case .strings(let strings):
            for s in strings {
                let n = UInt32(s.count)
                payload += [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)]
                payload += s
            }
        }
        inputs.append([
            "name": .string(input.name), "datatype": .string(V2Datatype.name(of: input.elementType)),
            "shape": .array(input.shape.map { .int($0) }),
            "parameters": ["binary_data_size": .int(Int64(payload.count))],
        ])
        tail += payload
    }
    var root: JSONObject = ["inputs": .array(inputs)]
    if let id = request.id { root["id"] = .string(id) }
    if request.binaryOutputByDefault { root["parameters"] = ["binary_data_output": true] }
    if let outputs = request.outputs {
        root["outputs"] = .array(outputs.map { ["name": .string($0.name), "parameters": ["binary_data": .bool($0.binary)]] })
    }
    let header = JSON.object(root).serializedBytes()
    return (ByteBuffer(bytes: header + tail), header.count)
}
