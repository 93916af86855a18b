import InferenceProtocol
import ONNXRuntime
import Tracing

/// A validated request, ready to queue: inputs in the model's order.
struct BatchItem: Sendable {
    let inputs: [InputTensor]
    /// Size of the batch dimension of this request (1 when the model is not batched).
    let rows: Int
    let outputNames: [String]
    let enqueuedAt: ContinuousClock.Instant
    /// The request span's context when tracing is on.
    var trace: ServiceContext? = nil
}

/// Requests can share a batch when everything but the batch dimension matches.
struct BatchKey: Hashable, Sendable {
    let innerShapes: [[Int64]]
    let outputNames: [String]
}

/// Pure checks and arithmetic for putting requests into batches and taking results apart.
enum BatchPlan {
    /// Checks a decoded request against the model and orders its inputs as the model does.
    static func validate(_ request: InferRequest, model: ModelInfo, batching: Bool) throws(InferenceError) -> (inputs: [InputTensor], rows: Int, outputs: [String]) {
        var byName: [String: InferRequest.Input] = [:]
        for input in request.inputs { byName[input.name] = input }
        for input in request.inputs where !model.inputs.contains(where: { $0.name == input.name }) {
            throw .badRequest("model has no input '\(input.name)'; inputs are \(model.inputs.map(\.name))")
        }
        var ordered: [InputTensor] = []
        for expected in model.inputs {
            guard let given = byName[expected.name] else { throw .badRequest("missing input '\(expected.name)'") }
            guard let type = expected.elementType else {
                throw .badRequest("input '\(expected.name)' has a type this server cannot feed")
            }
            guard given.elementType == type else {
                throw .badRequest("input '\(expected.name)' must be \(V2Datatype.name(of: type)), got \(V2Datatype.name(of: given.elementType))")
            }
            guard given.shape.count == expected.shape.count,
                  zip(given.shape, expected.shape).allSatisfy({ $1 < 0 || $0 == $1 }) else {
                throw .badRequest("input '\(expected.name)' has shape \(given.shape); the model expects \(expected.shape) (-1: any size)")
            }
            ordered.append(InputTensor(name: given.name, elementType: type, shape: given.shape, data: given.data))
        }
        var rows = 1
        if batching, let first = ordered.first?.shape.first {
            guard ordered.allSatisfy({ $0.shape.first == first }) else {
                throw .badRequest("all inputs must have the same batch (first) dimension")
            }
            rows = Int(first)
        }
        let outputs: [String]
        if let requested = request.outputs {
            for output in requested where !model.outputs.contains(where: { $0.name == output.name }) {
                throw .badRequest("model has no output '\(output.name)'; outputs are \(model.outputs.map(\.name))")
            }
            outputs = requested.map(\.name)
        } else {
            outputs = model.outputs.map(\.name)
        }
        return (ordered, rows, outputs)
    }

    static func key(for item: BatchItem) -> BatchKey {
        BatchKey(innerShapes: item.inputs.map { Array($0.shape.dropFirst()) }, outputNames: item.outputNames)
    }

    /// Splits batched outputs back into each request's rows (no copy: ranges into the shared tensors).
    static func split(_ outputs: [OutputTensor], rows: [Int]) throws(InferenceError) -> [[OutputSlice]] {
        let total = rows.reduce(0, +)
        var perRequest = [[OutputSlice]](repeating: [], count: rows.count)
        for tensor in outputs {
            guard let first = tensor.shape.first, first == Int64(total) else {
                throw .inferenceFailed("output '\(tensor.name)' has shape \(tensor.shape), which does not keep the batch of \(total)")
            }
            let rowElements = total == 0 ? 0 : (Shape.elementCount(tensor.shape) ?? 0) / total
            let rowBytes = rowElements * (tensor.elementType.byteWidth ?? 0)
            var start = 0
            for (index, count) in rows.enumerated() {
                let shape = [Int64(count)] + tensor.shape.dropFirst()
                let strings = tensor.elementType == .string ? (start * rowElements)..<((start + count) * rowElements) : 0..<0
                perRequest[index].append(OutputSlice(
                    tensor: tensor, shape: shape,
                    byteRange: (start * rowBytes)..<((start + count) * rowBytes), stringRange: strings))
                start += count
            }
        }
        return perRequest
    }
}
