import Foundation
import GRPCCore
import GRPCPredictV2
import InferenceGRPC
import InferenceProtocol
import ONNXRuntime
import Testing

/// The gRPC request decoder (raw and typed contents) and the status mapping: pure. The response
/// encoder needs real ONNX Runtime outputs: `GRPCServiceTests` covers it.
struct GRPCInferDecoderTests {
    static func tensor(_ name: String, _ datatype: String, _ shape: [Int64], contents: Inference_InferTensorContents? = nil)
        -> Inference_ModelInferRequest.InferInputTensor
    {
        var tensor = Inference_ModelInferRequest.InferInputTensor()
        tensor.name = name
        tensor.datatype = datatype
        tensor.shape = shape
        if let contents { tensor.contents = contents }
        return tensor
    }

    static func request(_ inputs: [Inference_ModelInferRequest.InferInputTensor], raw: [Data] = []) -> Inference_ModelInferRequest {
        var message = Inference_ModelInferRequest()
        message.modelName = "m"
        message.inputs = inputs
        message.rawInputContents = raw
        return message
    }

    static func bytes(_ data: TensorData) -> [UInt8]? {
        guard case .raw(let raw) = data else { return nil }
        return raw.withUnsafeBytes { Array($0) }
    }

    static func failure(_ message: Inference_ModelInferRequest) -> String? {
        do {
            _ = try GRPCInferDecoder.decode(message)
            return nil
        } catch {
            guard case .badRequest(let text) = error else { return "not a bad request: \(error)" }
            return text
        }
    }

    @Test func rawContentsAreTheMessagesOwnBytes() throws {
        let floats: [Float] = [1, 2, 3, 4, 5, 6]
        let data = floats.withUnsafeBytes { Data($0) }
        var message = Self.request([Self.tensor("x", "FP32", [2, 3])], raw: [data])
        message.id = "r1"
        let decoded = try GRPCInferDecoder.decode(message)
        #expect(decoded.id == "r1" && decoded.inputs.count == 1 && decoded.inputs[0].shape == [2, 3])
        #expect(decoded.inputs[0].elementType == .float32)
        guard case .raw(let raw) = decoded.inputs[0].data else { Issue.record("not raw"); return }
        #expect(raw is MessageBytes, "raw numeric data should stay in the message, not be copied")
        #expect(Self.bytes(decoded.inputs[0].data) == Array(data))
        #expect(decoded.outputs == nil)
    }

    @Test func typedContentsConvertPerDatatype() throws {
        var ints = Inference_InferTensorContents()
        ints.intContents = [-3, 7]
        var uints = Inference_InferTensorContents()
        uints.uintContents = [1, 65535]
        var fp64 = Inference_InferTensorContents()
        fp64.fp64Contents = [0.5, -2]
        var flags = Inference_InferTensorContents()
        flags.boolContents = [true, false]
        var strings = Inference_InferTensorContents()
        strings.bytesContents = [Data("ab".utf8), Data()]
        let decoded = try GRPCInferDecoder.decode(Self.request([
            Self.tensor("a", "INT8", [2], contents: ints), Self.tensor("b", "UINT16", [2], contents: uints),
            Self.tensor("c", "FP64", [1, 2], contents: fp64), Self.tensor("d", "BOOL", [2], contents: flags),
            Self.tensor("e", "BYTES", [2], contents: strings),
        ]))
        #expect(Self.bytes(decoded.inputs[0].data) == [0xFD, 0x07])
        #expect(Self.bytes(decoded.inputs[1].data) == [0x01, 0x00, 0xFF, 0xFF])
        #expect(Self.bytes(decoded.inputs[2].data) == [0.5, -2.0].withUnsafeBytes { Array($0) })
        #expect(Self.bytes(decoded.inputs[3].data) == [1, 0])
        guard case .strings(let elements) = decoded.inputs[4].data else { Issue.record("BYTES not strings"); return }
        #expect(elements == [Array("ab".utf8), []])
    }

    @Test func rawBytesElementsAreLengthPrefixed() throws {
        var raw = Data()
        for word in ["hi", "there"] {
            withUnsafeBytes(of: UInt32(word.utf8.count).littleEndian) { raw.append(contentsOf: $0) }
            raw.append(contentsOf: Array(word.utf8))
        }
        let decoded = try GRPCInferDecoder.decode(Self.request([Self.tensor("s", "BYTES", [2])], raw: [raw]))
        guard case .strings(let elements) = decoded.inputs[0].data else { Issue.record("BYTES not strings"); return }
        #expect(elements == [Array("hi".utf8), Array("there".utf8)])
        #expect(Self.failure(Self.request([Self.tensor("s", "BYTES", [3])], raw: [raw]))?.contains("needs 3 BYTES elements, got 2") == true)
        #expect(Self.failure(Self.request([Self.tensor("s", "BYTES", [2])], raw: [raw.dropLast()]))?.contains("cut short") == true)
    }

    @Test func badRequestsNameWhatIsWrong() {
        let four = Data(count: 4)
        var fp32 = Inference_InferTensorContents()
        fp32.fp32Contents = [1, 2]
        var wide = Inference_InferTensorContents()
        wide.intContents = [300]
        let cases: [(Inference_ModelInferRequest, String)] = [
            (Self.request([Self.tensor("x", "FP32", [1])], raw: [four, four]), "raw_input_contents has 2 entries for 1 inputs"),
            (Self.request([Self.tensor("x", "FP32", [2])], raw: [four]), "raw_input_contents has 4 bytes but the shape needs 8"),
            (Self.request([Self.tensor("x", "FP32", [1])]), "input 'x' has no contents"),
            (Self.request([Self.tensor("x", "FP32", [1], contents: fp32)], raw: [four]), "both contents and raw_input_contents"),
            (Self.request([Self.tensor("x", "FP32", [3], contents: fp32)]), "shape needs 3 elements, fp32_contents has 2"),
            (Self.request([Self.tensor("x", "INT32", [2], contents: fp32)]), "INT32 data belongs in int_contents, not fp32_contents"),
            (Self.request([Self.tensor("x", "INT8", [1], contents: wide)]), "300 is not a valid INT8"),
            (Self.request([Self.tensor("x", "FP16", [2], contents: fp32)]), "FP16 data belongs in raw_input_contents"),
            (Self.request([Self.tensor("x", "FP17", [1])], raw: [four]), "unknown datatype 'FP17'"),
            (Self.request([Self.tensor("x", "FP32", [-1])], raw: [four]), "non-negative"),
            (Self.request([Self.tensor("x", "FP32", [1 << 20, 1 << 20])], raw: [four]), "too many elements"),
            (Self.request([Self.tensor("", "FP32", [1])], raw: [four]), "inputs[0] needs a name"),
            (Self.request([Self.tensor("x", "FP32", [1]), Self.tensor("x", "FP32", [1])], raw: [four, four]), "input 'x' is given twice"),
            (Self.request([Self.tensor("b", "BOOL", [1])], raw: [Data([2])]), "BOOL bytes must be 0 or 1"),
        ]
        for (message, expected) in cases {
            let text = Self.failure(message)
            #expect(text?.contains(expected) == true, "expected '\(expected)', got \(text ?? "success")")
        }
    }

    @Test func requestedOutputsAndTheClassificationExtension() throws {
        var message = Self.request([Self.tensor("x", "FP32", [1])], raw: [Data(count: 4)])
        var output = Inference_ModelInferRequest.InferRequestedOutputTensor()
        output.name = "y"
        message.outputs = [output]
        #expect(try GRPCInferDecoder.decode(message).outputs?.map(\.name) == ["y"])
        var classes = Inference_InferParameter()
        classes.int64Param = 3
        message.outputs[0].parameters["classification"] = classes
        #expect(Self.failure(message)?.contains("classification extension is not supported") == true)
    }

    @Test func statusCodesFollowTheFailure() {
        #expect(GRPCStatusMapping.code(for: .badRequest("x")) == .invalidArgument)
        #expect(GRPCStatusMapping.code(for: .modelNotFound("x")) == .notFound)
        #expect(GRPCStatusMapping.code(for: .payloadTooLarge(limit: 1)) == .resourceExhausted)
        #expect(GRPCStatusMapping.code(for: .notReady("x")) == .unavailable)
        #expect(GRPCStatusMapping.code(for: .inferenceFailed("x")) == .internalError)
        let overloaded = GRPCStatusMapping.rpcError(for: .overloaded(retryAfterSeconds: 2))
        #expect(overloaded.code == .unavailable)
        #expect(Array(overloaded.metadata[stringValues: "grpc-retry-pushback-ms"]) == ["2000"])
    }
}
