import InferenceProtocol
import InferenceServer
import NIOCore
import ONNXRuntime
import Testing

@Suite struct InferRequestDecoderTests {
    private func decode(_ json: String, binary: [UInt8]? = nil) throws(InferenceError) -> InferRequest {
        var body = ByteBuffer(string: json)
        let headerLength = binary.map { _ in body.readableBytes }
        if let binary { body.writeBytes(binary) }
        return try InferRequestDecoder.decode(body: body, headerLength: headerLength)
    }

    private func bytes(_ data: TensorData) -> [UInt8] {
        guard case .raw(let raw) = data else { return [] }
        return raw.withUnsafeBytes { Array($0) }
    }

    @Test func flatAndNestedDataGiveTheSameBytes() throws {
        let flat = try decode(#"{"inputs":[{"name":"a","shape":[2,2],"datatype":"INT16","data":[1,-2,3,-4]}]}"#)
        let nested = try decode(#"{"inputs":[{"name":"a","shape":[2,2],"datatype":"INT16","data":[[1,-2],[3,-4]]}]}"#)
        #expect(bytes(flat.inputs[0].data) == [1, 0, 0xFE, 0xFF, 3, 0, 0xFC, 0xFF])
        #expect(bytes(flat.inputs[0].data) == bytes(nested.inputs[0].data))
    }

    @Test func binaryInputIsASliceOfTheBodyWithoutCopy() throws {
        let request = try decode(#"{"inputs":[{"name":"a","shape":[2],"datatype":"UINT16","parameters":{"binary_data_size":4}}]}"#,
                                 binary: [1, 0, 2, 0])
        #expect(bytes(request.inputs[0].data) == [1, 0, 2, 0])
    }

    @Test func readsIdOutputsAndBinaryFlags() throws {
        let request = try decode(#"""
            {"id":"x1","parameters":{"binary_data_output":true},
             "inputs":[{"name":"a","shape":[1],"datatype":"BOOL","data":[true]}],
             "outputs":[{"name":"o1"},{"name":"o2","parameters":{"binary_data":false}}]}
            """#)
        #expect(request.id == "x1")
        #expect(request.outputs == [.init(name: "o1", binary: true), .init(name: "o2", binary: false)])
    }

    @Test(arguments: [
        (#"{"inputs":[{"name":"a","shape":[1],"datatype":"UINT8","data":[256]}]}"#, "not a valid UINT8"),
        (#"{"inputs":[{"name":"a","shape":[1],"datatype":"INT32","data":[1.5]}]}"#, "not a valid INT32"),
        (#"{"inputs":[{"name":"a","shape":[1],"datatype":"BOOL","data":[1]}]}"#, "true or false"),
        (#"{"inputs":[{"name":"a","shape":[1],"datatype":"BYTES","data":[1]}]}"#, "must be strings"),
        (#"{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1,2]}]}"#, "more elements"),
        (#"{"inputs":[{"name":"a","shape":[100000,100000,100000],"datatype":"FP32","data":[]}]}"#, "too many elements"),
        (#"{"inputs":[{"name":"a","shape":[1],"datatype":"FP32"}]}"#, "has no 'data'"),
        (#"{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1]},{"name":"a","shape":[1],"datatype":"FP32","data":[1]}]}"#, "given twice"),
        (#"{"inputs":{}}"#, "'inputs' must be an array"),
        (#"{"id":5,"inputs":[]}"#, "'id' must be a string"),
        (#"{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","parameters":{"binary_data_size":4}}]}"#, "runs past the end"),
    ])
    func rejectsBadRequestsWithAMessage(json: String, fragment: String) {
        do {
            _ = try decode(json)
            Issue.record("decoded \(json)")
        } catch {
            #expect(error.statusCode == 400)
            #expect(error.description.contains(fragment), "\(error.description)")
        }
    }

    @Test func binaryPartMustMatchTheShapeAndBeFullyUsed() {
        #expect(throws: InferenceError.self) {
            try decode(#"{"inputs":[{"name":"a","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":4}}]}"#,
                       binary: [0, 0, 0, 0])
        }
        #expect(throws: InferenceError.self) {
            try decode(#"{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","parameters":{"binary_data_size":4}}]}"#,
                       binary: [0, 0, 0, 0, 9])
        }
    }

    @Test func headerLengthOutsideTheBodyIsRejected() {
        #expect(throws: InferenceError.self) {
            try InferRequestDecoder.decode(body: ByteBuffer(string: "{}"), headerLength: 10)
        }
        #expect(throws: InferenceError.self) {
            try InferRequestDecoder.decode(body: ByteBuffer(string: "{}"), headerLength: -1)
        }
    }

    @Test func truncatedBinaryBytesElementIsRejected() {
        #expect(throws: InferenceError.self) {
            try decode(#"{"inputs":[{"name":"a","shape":[1],"datatype":"BYTES","parameters":{"binary_data_size":5}}]}"#,
                       binary: [9, 0, 0, 0, 65])
        }
    }
}
