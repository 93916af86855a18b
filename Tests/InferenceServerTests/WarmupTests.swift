import Foundation
import InferenceServer
import ONNXRuntime
import Testing

@Suite struct WarmupTests {
    private func scratch(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("warmup-\(name)-\(getpid())").path
    }

    /// A quick probe: the tiny test models run in microseconds.
    private let quick = Warmup.Probe(dynamicDimensions: [4], secondsPerSize: 0.02)

    @Test func savesTheOptimisedModelAndRunsEachBatchSize() async throws {
        let out = scratch("matmul")
        let runtime = try Fixtures.runtime.get()
        let report = try await Warmup.run(source: "file://" + Fixtures.path("matmul"), outputDirectory: out, maxBatchSize: 3,
                                          session: SessionConfiguration(), ortLibrary: runtime.libraryPath, probe: quick)
        #expect(report.runSeconds.count == 3)
        #expect(FileManager.default.fileExists(atPath: "\(out)/model.onnx"))
        #expect(FileManager.default.fileExists(atPath: "\(out)/warmup.json"))
        let resolved = ModelLocation.resolve(out, fileExists: { FileManager.default.fileExists(atPath: $0) }, isDirectory: { _ in true })
        #expect(resolved.optimized)
        let session = try runtime.makeSession(modelPath: resolved.path)
        #expect(session.info.outputs.map(\.name) == ["y"])
        // A set size is what serve uses: nothing to choose, nothing measured.
        #expect(report.maxBatchSize == 3 && report.maxBatchSizeSource == .setting)
        #expect(report.batchThroughput == [])
    }

    @Test func withoutASizeItMeasuresTheCurveAndChoosesFromIt() async throws {
        let out = scratch("matmul-measured")
        let report = try await Warmup.run(source: Fixtures.path("matmul"), outputDirectory: out, maxBatchSize: nil,
                                          session: SessionConfiguration(), ortLibrary: try Fixtures.runtime.get().libraryPath,
                                          probe: quick)
        let curve = try #require(report.batchThroughput)
        #expect(curve.map(\.batchSize) == BatchSizeChoice.candidates(upTo: BatchSizeChoice.searchLimit))
        #expect(curve.allSatisfy { $0.itemsPerSecond > 0 && $0.itemsPerSecond.isFinite })
        #expect(report.maxBatchSize == BatchSizeChoice.choose(curve))
        #expect(report.maxBatchSizeSource == .measured && report.probeDynamicDimensions == [4])
        #expect(report.runSeconds.count == BatchSizeChoice.searchLimit)
        // The report on disk is what serve reads.
        let onDisk = try #require(try Warmup.report(inDirectory: out))
        #expect(onDisk.maxBatchSize == report.maxBatchSize && onDisk.batchThroughput == curve)
    }

    @Test func onTwoCoresItMeasuresBothLayoutsAndRecordsTheChoice() async throws {
        let out = scratch("matmul-layouts")
        let report = try await Warmup.run(source: Fixtures.path("matmul"), outputDirectory: out, maxBatchSize: nil,
                                          session: SessionConfiguration(), ortLibrary: try Fixtures.runtime.get().libraryPath,
                                          probe: quick, cores: 2)
        let chosenSize = try #require(report.maxBatchSize)
        let layouts = try #require(report.runLayouts)
        // Measured at the chosen size: one batch on both cores, two batches of half on one thread each.
        #expect(layouts.map(\.concurrentBatches) == [1, 2] && layouts.map(\.intraOpThreads) == [2, 1])
        #expect(layouts.map(\.maxBatchSize) == [chosenSize, max(1, chosenSize / 2)])
        #expect(layouts.allSatisfy { $0.itemsPerSecond > 0 && $0.itemsPerSecond.isFinite })
        #expect(report.runLayout == RunLayoutChoice.choose(layouts))
        let onDisk = try #require(try Warmup.report(inDirectory: out))
        #expect(onDisk.runLayouts == layouts && onDisk.runLayout == report.runLayout)
    }

    @Test func setThreadsOrOneCoreMeasureNoLayout() async throws {
        var threads = SessionConfiguration()
        threads.intraOpThreads = 2
        let set = try await Warmup.run(source: Fixtures.path("matmul"), outputDirectory: scratch("matmul-set-threads"), maxBatchSize: nil,
                                       session: threads, ortLibrary: try Fixtures.runtime.get().libraryPath, probe: quick, cores: 2)
        #expect(set.runLayouts == nil && set.runLayout == nil)
        let one = try await Warmup.run(source: Fixtures.path("matmul"), outputDirectory: scratch("matmul-one-core"), maxBatchSize: nil,
                                       session: SessionConfiguration(), ortLibrary: try Fixtures.runtime.get().libraryPath, probe: quick, cores: 1)
        #expect(one.runLayouts == nil && one.runLayout == nil && one.maxBatchSize != nil)
    }

    @Test func modelWithoutBatchDimensionWarmsOnce() async throws {
        let report = try await Warmup.run(source: Fixtures.path("reshape"), outputDirectory: scratch("reshape"), maxBatchSize: nil,
                                          session: SessionConfiguration(), ortLibrary: try Fixtures.runtime.get().libraryPath,
                                          probe: quick)
        #expect(report.runSeconds.count == 1)
        #expect(report.batchThroughput == [] && report.maxBatchSize == 1)
    }

    @Test func unsupportedSchemeIsAnError() async throws {
        await #expect(throws: Warmup.Failure.self) {
            try await Warmup.run(source: "ftp://example/model.onnx", outputDirectory: scratch("ftp"), maxBatchSize: 1,
                                 session: SessionConfiguration(), ortLibrary: nil)
        }
    }
}

/// What `serve` takes as its largest batch: the setting, else warmup's report beside the model, else 8.
@Suite struct ServedBatchSizeTests {
    private func directory(_ name: String, report: String?) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("served-batch-\(name)-\(getpid())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        if let report { try report.write(toFile: "\(path)/warmup.json", atomically: true, encoding: .utf8) }
        return path
    }

    private let measured = """
        {"source": "m.onnx", "onnxRuntimeVersion": "1.20", "optimizedModel": "m.optimized.onnx", "sessionSeconds": 0.1,
         "runSeconds": [0.01], "maxBatchSize": 16, "maxBatchSizeSource": "measured",
         "batchThroughput": [{"batchSize": 8, "itemsPerSecond": 463}, {"batchSize": 16, "itemsPerSecond": 491}]}
        """

    @Test func warmupsMeasuredChoiceWhenNothingSetsIt() throws {
        let dir = try directory("measured", report: measured)
        let config = try ServerConfiguration.resolve(flags: [.model: dir], environment: [:])
        let choice = ServedBatchSize.resolve(config, modelPath: "\(dir)/model.optimized.onnx")
        #expect(choice.size == 16 && choice.source == .measured && choice.warning == nil)
        #expect(choice.curve == [BatchThroughput(batchSize: 8, itemsPerSecond: 463), BatchThroughput(batchSize: 16, itemsPerSecond: 491)])
    }

    @Test func theSettingWins() throws {
        let dir = try directory("setting", report: measured)
        let config = try ServerConfiguration.resolve(flags: [.model: dir], environment: ["MAX_BATCH_SIZE": "4"])
        let choice = ServedBatchSize.resolve(config, modelPath: "\(dir)/model.optimized.onnx")
        #expect(choice.size == 4 && choice.source == .setting && choice.curve.isEmpty)
    }

    @Test func aReportBesideAnotherModelIsNotItsMeasurement() throws {
        let dir = try directory("other-model", report: measured)
        let config = try ServerConfiguration.resolve(flags: [.model: "\(dir)/other.onnx"], environment: [:])
        let choice = ServedBatchSize.resolve(config, modelPath: "\(dir)/other.onnx")
        #expect(choice.size == BatchSizeChoice.fallback && choice.source == .fallback)
        let original = ServedBatchSize.resolve(config, modelPath: "\(dir)/model.onnx")
        #expect(original.size == 16 && original.source == .measured)
    }

    @Test func withoutAReportTheFallback() throws {
        let dir = try directory("none", report: nil)
        let config = try ServerConfiguration.resolve(flags: [.model: "\(dir)/model.onnx"], environment: [:])
        let choice = ServedBatchSize.resolve(config, modelPath: "\(dir)/model.onnx")
        #expect(choice.size == BatchSizeChoice.fallback && choice.source == .fallback && choice.warning == nil)
    }

    private let withLayout = """
        {"source": "m.onnx", "onnxRuntimeVersion": "1.20", "optimizedModel": "m.optimized.onnx", "sessionSeconds": 0.1,
         "runSeconds": [0.01], "maxBatchSize": 8, "maxBatchSizeSource": "measured",
         "batchThroughput": [{"batchSize": 8, "itemsPerSecond": 2000}],
         "runLayouts": [{"concurrentBatches": 1, "intraOpThreads": 2, "maxBatchSize": 8, "itemsPerSecond": 2000},
                        {"concurrentBatches": 2, "intraOpThreads": 1, "maxBatchSize": 4, "itemsPerSecond": 2400}],
         "runLayout": {"concurrentBatches": 2, "intraOpThreads": 1, "maxBatchSize": 4, "itemsPerSecond": 2400}}
        """

    /// What a measuring init container reports for the operator: the layout's batcher,
    /// or the batch size alone; nothing without a usable size.
    @Test func theTerminationMessageCarriesTheBatcherServeWouldRun() throws {
        let decode = { (text: String) in try JSONDecoder().decode(Warmup.Report.self, from: Data(text.utf8)) }
        #expect(Warmup.terminationMessage(try decode(withLayout))
                == #"{"maxBatchSize":4,"concurrentBatches":2,"intraOpThreads":1,"source":"measured"}"#)
        #expect(Warmup.terminationMessage(try decode(measured)) == #"{"maxBatchSize":16,"source":"measured"}"#)
        let outside = measured.replacingOccurrences(of: #""maxBatchSize": 16"#, with: #""maxBatchSize": 0"#)
        #expect(Warmup.terminationMessage(try decode(outside)) == nil)
        // A layout outside its ranges is not reported; the batch size still is.
        let badLayout = withLayout.replacingOccurrences(of: #""runLayout": {"concurrentBatches": 2"#, with: #""runLayout": {"concurrentBatches": 0"#)
        #expect(Warmup.terminationMessage(try decode(badLayout)) == #"{"maxBatchSize":8,"source":"measured"}"#)
    }

    @Test func warmupsLayoutBringsItsBatchSizeWhenNothingSetsTheThreads() throws {
        let dir = try directory("layout", report: withLayout)
        let config = try ServerConfiguration.resolve(flags: [.model: dir], environment: [:])
        let choice = ServedBatchSize.resolve(config, modelPath: "\(dir)/model.optimized.onnx")
        #expect(choice.layout == RunLayout(concurrentBatches: 2, intraOpThreads: 1, maxBatchSize: 4, itemsPerSecond: 2400))
        #expect(choice.size == 4 && choice.source == .measured && choice.layouts.count == 2 && choice.warning == nil)
        // After a remote fetch the threads already run: the layout cannot apply, the batch of one at a time does.
        let late = ServedBatchSize.resolve(config, modelPath: "\(dir)/model.optimized.onnx", layouts: false)
        #expect(late.layout == nil && late.size == 8)
    }

    @Test(arguments: [["INTRA_OP_THREADS": "2"], ["MAX_CONCURRENT_BATCHES": "1"], ["INTRA_OP_THREADS": "0"]])
    func setThreadsOrBatchesKeepTheReportsLayoutOut(environment: [String: String]) throws {
        let dir = try directory("layout-set-\(environment.keys.first ?? "")", report: withLayout)
        let config = try ServerConfiguration.resolve(flags: [.model: dir], environment: environment)
        #expect(config.runLayoutSource == .setting)
        let choice = ServedBatchSize.resolve(config, modelPath: "\(dir)/model.optimized.onnx")
        #expect(choice.layout == nil && choice.size == 8 && choice.source == .measured)
    }

    @Test func anUnusableLayoutIsNamedAndTheBatchOfOneAtATimeServes() throws {
        let bad = withLayout.replacingOccurrences(of: #""runLayout": {"concurrentBatches": 2"#, with: #""runLayout": {"concurrentBatches": 0"#)
        let dir = try directory("layout-bad", report: bad)
        let config = try ServerConfiguration.resolve(flags: [.model: dir], environment: [:])
        let choice = ServedBatchSize.resolve(config, modelPath: "\(dir)/model.optimized.onnx")
        #expect(choice.layout == nil && choice.size == 8)
        let warning = try #require(choice.warning)
        #expect(warning.contains("concurrentBatches 0 is outside") && warning.contains("\(dir)/warmup.json"), "\(warning)")
    }

    @Test(arguments: [
        ("garbage", "{not json", "is not a warmup report"),
        ("old", #"{"source": "m", "onnxRuntimeVersion": "1", "optimizedModel": "o", "sessionSeconds": 0, "runSeconds": []}"#, "has no maxBatchSize"),
        ("huge", #"{"source": "m", "onnxRuntimeVersion": "1", "optimizedModel": "o", "sessionSeconds": 0, "runSeconds": [], "maxBatchSize": 100000}"#,
         "maxBatchSize 100000 is outside 1...1024"),
    ])
    func anUnusableReportIsNamedAndIgnored(name: String, report: String, expected: String) throws {
        let dir = try directory(name, report: report)
        let config = try ServerConfiguration.resolve(flags: [.model: dir], environment: [:])
        let choice = ServedBatchSize.resolve(config, modelPath: "\(dir)/model.onnx")
        #expect(choice.size == BatchSizeChoice.fallback && choice.source == .fallback)
        let warning = try #require(choice.warning)
        #expect(warning.contains(expected) && warning.contains("\(dir)/warmup.json"), "\(warning)")
    }
}
