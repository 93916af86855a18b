import Testing
@testable import ONNXRuntime

@Suite struct SessionTests {
    private func session(_ name: String, _ configuration: SessionConfiguration = SessionConfiguration()) throws -> ORTSession {
        try TestModels.runtime.get().makeSession(modelPath: TestModels.path(name), configuration: configuration)
    }

    private func floats(_ output: OutputTensor) -> [Float] {
        output.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    @Test func loadsTheWheelLibraryAndReportsItsVersion() throws {
        let runtime = try TestModels.runtime.get()
        #expect(runtime.version.hasPrefix("1."))
        #expect(runtime.libraryPath.contains("libonnxruntime.so"))
        #expect(runtime.availableProviders().contains("CPUExecutionProvider"))
    }

    @Test func describesInputsAndOutputsWithDynamicBatch() throws {
        let add = try session("add")
        #expect(add.info.inputs.map(\.name) == ["x", "y"])
        #expect(add.info.inputs[0] == TensorInfo(name: "x", elementType: .float32, shape: [-1, 3], dimensionNames: ["batch", ""]))
        #expect(add.info.outputs.map(\.name) == ["z"])
        #expect(add.info.supportsBatching)
        let reshape = try session("reshape")
        #expect(!reshape.info.supportsBatching)
    }

    @Test func addsTwoTensors() throws {
        let add = try session("add")
        let outputs = try add.run([
            InputTensor(name: "x", elementType: .float32, shape: [2, 3], data: .raw(ElementArray<Float>([1, 2, 3, 4, 5, 6]))),
            InputTensor(name: "y", elementType: .float32, shape: [2, 3], data: .raw(ElementArray<Float>([10, 20, 30, 40, 50, 60]))),
        ])
        #expect(outputs.count == 1)
        #expect(outputs[0].shape == [2, 3])
        #expect(outputs[0].elementType == .float32)
        #expect(floats(outputs[0]) == [11, 22, 33, 44, 55, 66])
    }

    @Test(arguments: [1, 3, 17])
    func multipliesByTheFixedWeightsForAnyBatch(batch: Int) throws {
        let matmul = try session("matmul")
        let x = (0..<(batch * 4)).map { Float($0 % 4 == 0 ? 1 : 0) }  // picks row 0 of W = [0, 1]
        let out = try matmul.run([InputTensor(name: "x", elementType: .float32, shape: [Int64(batch), 4], data: .raw(ElementArray(x)))])
        #expect(out[0].shape == [Int64(batch), 2])
        #expect(floats(out[0]) == Array(repeating: [Float(0), 1], count: batch).flatMap { $0 })
    }

    @Test func emptyBatchRunsAndReturnsAnEmptyOutput() throws {
        let add = try session("add")
        let empty = ElementArray<Float>([])
        let out = try add.run([
            InputTensor(name: "x", elementType: .float32, shape: [0, 3], data: .raw(empty)),
            InputTensor(name: "y", elementType: .float32, shape: [0, 3], data: .raw(empty)),
        ])
        #expect(out[0].shape == [0, 3])
        #expect(out[0].byteCount == 0)
    }

    @Test func passesEveryElementTypeThrough() throws {
        let types = try session("types")
        var inputs: [InputTensor] = []
        for info in types.info.inputs {
            guard let type = info.elementType else { continue }
            if type == .string {
                inputs.append(InputTensor(name: info.name, elementType: .string, shape: [2, 2],
                                          data: .strings([Array("a".utf8), [], Array("héllo".utf8), [1, 255]])))
            } else {
                let width = type.byteWidth ?? 1
                let bytes = (0..<(4 * width)).map { UInt8(type == .bool ? $0 % 2 : $0 + 1) }
                inputs.append(InputTensor(name: info.name, elementType: type, shape: [2, 2], data: .raw(bytes)))
            }
        }
        #expect(inputs.count == 13)
        let outputs = try types.run(inputs)
        for (input, output) in zip(inputs, outputs) {
            #expect(output.elementType == input.elementType)
            #expect(output.shape == [2, 2])
            switch input.data {
            case .raw(let bytes):
                let sent = bytes.withUnsafeBytes { Array($0) }
                #expect(output.withUnsafeBytes { Array($0) } == sent, "\(input.name)")
            case .strings(let strings):
                #expect(output.strings == strings)
            }
        }
    }

    @Test func selectsRequestedOutputsOnly() throws {
        let types = try session("types")
        let inputs = types.info.inputs.map { info -> InputTensor in
            info.elementType == .string
                ? InputTensor(name: info.name, elementType: .string, shape: [1, 2], data: .strings([[65], [66]]))
                : InputTensor(name: info.name, elementType: info.elementType ?? .uint8, shape: [1, 2],
                              data: .raw([UInt8](repeating: 0, count: 2 * (info.elementType?.byteWidth ?? 1))))
        }
        let out = try types.run(inputs, outputNames: ["out_string", "out_int64"])
        #expect(out.map(\.name) == ["out_string", "out_int64"])
        #expect(out[0].strings == [[65], [66]])
    }

    @Test func rejectsDataThatDoesNotMatchTheShape() throws {
        let add = try session("add")
        let result = Result { () throws(ORTError) in
            try add.run([
                InputTensor(name: "x", elementType: .float32, shape: [2, 3], data: .raw(ElementArray<Float>([1, 2, 3]))),
                InputTensor(name: "y", elementType: .float32, shape: [2, 3], data: .raw(ElementArray<Float>([1, 2, 3]))),
            ])
        }
        guard case .failure(.invalidArgument(let message)) = result else {
            Issue.record("expected invalidArgument, got \(result)")
            return
        }
        #expect(message.contains("needs 24 bytes"))
    }

    @Test(arguments: [[-1, 3], [Int64.max, Int64.max]])
    func rejectsImpossibleShapes(shape: [Int64]) throws {
        let add = try session("add")
        #expect(throws: ORTError.self) {
            try add.run([InputTensor(name: "x", elementType: .float32, shape: shape, data: .raw([UInt8]()))])
        }
    }

    @Test func rejectsStringsWithEmbeddedNUL() throws {
        let types = try session("types")
        #expect(throws: ORTError.invalidArgument("input 'in_string': string elements must not contain NUL bytes")) {
            try types.run([InputTensor(name: "in_string", elementType: .string, shape: [1, 2], data: .strings([[65, 0, 66], []]))])
        }
    }

    @Test func runtimeErrorsCarryTheStatusCodeAndMessage() throws {
        let add = try session("add")
        let result = Result { () throws(ORTError) in
            try add.run([InputTensor(name: "nope", elementType: .float32, shape: [1, 3], data: .raw(ElementArray<Float>([1, 2, 3])))])
        }
        guard case .failure(.runtime(let code, let message)) = result else {
            Issue.record("expected a runtime error, got \(result)")
            return
        }
        #expect(code == "ORT_INVALID_ARGUMENT")
        #expect(!message.isEmpty)
    }

    @Test func reshapeFailureAtRunTimeIsAnError() throws {
        let reshape = try session("reshape")
        #expect(throws: ORTError.self) {
            try reshape.run([
                InputTensor(name: "x", elementType: .float32, shape: [1, 6], data: .raw(ElementArray<Float>([1, 2, 3, 4, 5, 6]))),
                InputTensor(name: "shape", elementType: .int64, shape: [2], data: .raw(ElementArray<Int64>([4, 4]))),
            ])
        }
    }

    @Test func missingModelFileIsAnError() throws {
        #expect(throws: ORTError.self) { try session("does-not-exist") }
    }

    @Test func writesTheOptimisedModelWhenAsked() throws {
        let out = "\(TestModels.directory)/matmul.optimised.onnx"
        var configuration = SessionConfiguration()
        configuration.optimizedModelOutputPath = out
        configuration.intraOpThreads = 1
        _ = try session("matmul", configuration)
        let optimised = try TestModels.runtime.get().makeSession(modelPath: out)
        #expect(optimised.info.outputs.map(\.name) == ["y"])
    }

    @Test func concurrentRunsOnOneSessionAgree() async throws {
        let add = try session("add")
        try await withThrowingTaskGroup(of: [Float].self) { group in
            for i in 0..<16 {
                group.addTask {
                    let v = Float(i)
                    let out = try add.run([
                        InputTensor(name: "x", elementType: .float32, shape: [1, 3], data: .raw(ElementArray<Float>([v, v, v]))),
                        InputTensor(name: "y", elementType: .float32, shape: [1, 3], data: .raw(ElementArray<Float>([1, 1, 1]))),
                    ])
                    return out[0].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
                }
            }
            var sums: [Float] = []
            for try await result in group { sums.append(result[0]) }
            #expect(sums.sorted() == (0..<16).map { Float($0) + 1 })
        }
    }
}
