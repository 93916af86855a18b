import Foundation
import GRPCPredictV2
import InferenceGRPC
import InferenceProtocol
import ONNXRuntime

/// libFuzzer entry: the input is a serialized `ModelInferRequest` as it arrives off the wire.
/// Checks:
/// - protobuf parsing then `GRPCInferDecoder` answer with a request or an error, never trap;
/// - a decoded request written back with every input in `raw_input_contents` decodes to the
///   same request: names, types, shapes, element bytes, id and requested outputs.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    guard let message = try? Inference_ModelInferRequest(serializedBytes: bytes),
          let request = try? GRPCInferDecoder.decode(message) else { return 0 }
    let again: InferRequest
    do {
        again = try GRPCInferDecoder.decode(rawForm(of: request, model: message.modelName))
    } catch {
        fatalError("a decoded request re-written with raw_input_contents does not decode: \(error)")
    }
    let (a, b) = (summary(of: request), summary(of: again))
    if a != b {
        fatalError("a request changes through raw re-encoding:\n\(a)\n--- vs\n\(b)")
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
}

func summary(of request: InferRequest) -> Summary {
    Summary(
        id: request.id,
        inputs: request.inputs.map { input in
            Summary.Input(name: input.name, datatype: V2Datatype.name(of: input.elementType), shape: input.shape, elements: elements(of: input))
        },
        outputs: request.outputs)
}

/// Raw data as one element of all its bytes; strings one element each.
func elements(of input: InferRequest.Input) -> [[UInt8]] {
    switch input.data {
    case .raw(let raw): return [raw.withUnsafeBytes { Array($0) }]
    case .strings(let strings): return strings
    }
}

/// Every input's elements in `raw_input_contents` (BYTES length-prefixed), no typed contents.
func rawForm(of request: InferRequest, model: String) -> Inference_ModelInferRequest {
    var message = Inference_ModelInferRequest()
    message.modelName = model
    message.id = request.id ?? ""
    for input in request.inputs {
        var tensor = Inference_ModelInferRequest.InferInputTensor()
        tensor.name = input.name
        tensor.datatype = V2Datatype.name(of: input.elementType)
        tensor.shape = input.shape
        message.inputs.append(tensor)
        var payload = Data()
        switch input.data {
        case .raw(let raw): payload = raw.withUnsafeBytes { Data($0) }
        case .strings(let strings):
            for s in strings {
                withUnsafeBytes(of: UInt32(s.count).littleEndian) { payload.append(contentsOf: $0) }
                payload.append(contentsOf: s)
            }
        }
        message.rawInputContents.append(payload)
    }
    message.outputs = (request.outputs ?? []).map { output in
        var requested = Inference_ModelInferRequest.InferRequestedOutputTensor()
        requested.name = output.name
        return requested
    }
    return message
}
