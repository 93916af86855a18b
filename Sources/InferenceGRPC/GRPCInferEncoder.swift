#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import GRPCCore
import GRPCPredictV2
import InferenceProtocol
import ONNXRuntime

/// Builds a gRPC `ModelInferResponse` from one request's output slices. Every output
/// travels in `raw_output_contents` (as Triton answers gRPC requests): little-endian
/// elements, BYTES as 4-byte little-endian lengths each followed by the element.
public enum GRPCInferEncoder {
    public static func encode(modelName: String, modelVersion: String, id: String?, outputs: [OutputSlice]) -> Inference_ModelInferResponse {
        var response = Inference_ModelInferResponse()
        response.modelName = modelName
        response.modelVersion = modelVersion
        response.id = id ?? ""
        response.outputs = outputs.map { slice in
            var tensor = Inference_ModelInferResponse.InferOutputTensor()
            tensor.name = slice.name
            tensor.datatype = V2Datatype.name(of: slice.elementType)
            tensor.shape = slice.shape
            return tensor
        }
        response.rawOutputContents = outputs.map(rawBytes)
        return response
    }

    static func rawBytes(_ slice: OutputSlice) -> Data {
        if slice.elementType == .string {
            var data = Data()
            for element in slice.tensor.strings[slice.stringRange] {
                withUnsafeBytes(of: UInt32(element.count).littleEndian) { data.append(contentsOf: $0) }
                data.append(contentsOf: element)
            }
            return data
        }
        let data = slice.tensor.withUnsafeBytes { raw in Data(UnsafeRawBufferPointer(rebasing: raw[slice.byteRange])) }
        DataMovement.responseBinaryBytes.add(slice.byteRange.count, ordering: .relaxed)
        return data
    }
}

/// The gRPC status for each failure, following the codes' documented meanings
/// (and where Triton's gRPC endpoint gives the same case a code, the same one).
public enum GRPCStatusMapping {
    public static func code(for error: InferenceError) -> RPCError.Code {
        switch error {
        case .badRequest: return .invalidArgument
        case .modelNotFound: return .notFound
        // What gRPC itself answers to a message over the size limit.
        case .payloadTooLarge: return .resourceExhausted
        // Retryable: clients and proxies retry UNAVAILABLE; the pushback trailer says when.
        case .overloaded, .notReady: return .unavailable
        case .inferenceFailed: return .internalError
        }
    }

    /// The RPC error a handler throws; an overloaded queue adds `grpc-retry-pushback-ms`,
    /// gRPC's counterpart of HTTP's Retry-After.
    public static func rpcError(for error: InferenceError) -> RPCError {
        var metadata = Metadata()
        if case .overloaded(let seconds) = error {
            metadata.addString(String(seconds * 1000), forKey: "grpc-retry-pushback-ms")
        }
        return RPCError(code: code(for: error), message: error.description, metadata: metadata)
    }
}
