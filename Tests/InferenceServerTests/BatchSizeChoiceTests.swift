import InferenceServer
import ONNXRuntime
import Testing

@Suite struct BatchSizeChoiceTests {
    private func curve(_ points: [(Int, Double)]) -> [BatchThroughput] {
        points.map { BatchThroughput(batchSize: $0.0, itemsPerSecond: $0.1) }
    }

    @Test func candidatesArePowersOfTwoAndTheLimit() {
        #expect(BatchSizeChoice.candidates(upTo: 1) == [1])
        #expect(BatchSizeChoice.candidates(upTo: 8) == [1, 2, 4, 8])
        #expect(BatchSizeChoice.candidates(upTo: 12) == [1, 2, 4, 8, 12])
        #expect(BatchSizeChoice.candidates(upTo: 32) == [1, 2, 4, 8, 16, 32])
        #expect(BatchSizeChoice.candidates(upTo: 0).isEmpty)
    }

    /// MiniLM's and the OCR classifier's curves as warmup measured them here
    /// (docs/inference-server.md): batch 16 gives 97% of batch 32, outside 2%, so 32;
    /// the classifier peaks at 8.
    @Test func smallestSizeWithinTheToleranceOfTheBest() {
        let miniLM = curve([(1, 393.2), (2, 413.9), (4, 462.3), (8, 506.2), (16, 550.9), (32, 566.3)])
        #expect(BatchSizeChoice.choose(miniLM) == 32)
        #expect(BatchSizeChoice.choose(miniLM, tolerance: 0.05) == 16)
        let classifier = curve([(1, 780.7), (2, 985.5), (4, 1403.1), (8, 1699.5), (16, 1643.9), (32, 1500.8)])
        #expect(BatchSizeChoice.choose(classifier) == 8)
        let flat = curve([(1, 100), (2, 180), (4, 300), (8, 490), (16, 491), (32, 495)])
        #expect(BatchSizeChoice.choose(flat) == 8)
        #expect(BatchSizeChoice.choose(flat, tolerance: 0) == 32)
        // Batching buys nothing: batch 1.
        #expect(BatchSizeChoice.choose(curve([(1, 500), (2, 495), (4, 490)])) == 1)
    }

    @Test func unusableMeasurementsAreIgnored() {
        #expect(BatchSizeChoice.choose([]) == nil)
        #expect(BatchSizeChoice.choose(curve([(1, 0), (2, .nan)])) == nil)
        #expect(BatchSizeChoice.choose(curve([(1, .infinity), (2, 100), (0, 500)])) == 2)
    }
}

/// The shapes warmup runs and measures: the batch first, then each input's other
/// dynamic dimensions in the order given, the last repeating.
@Suite struct RunLayoutChoiceTests {
    @Test func oneBatchOnEveryCoreOrOneBatchPerCoreWithTheBatchSplit() {
        #expect(RunLayoutChoice.candidates(cores: 1, batchSize: 8) == [RunLayout(concurrentBatches: 1, intraOpThreads: 1, maxBatchSize: 8)])
        #expect(RunLayoutChoice.candidates(cores: 2, batchSize: 8) == [
            RunLayout(concurrentBatches: 1, intraOpThreads: 2, maxBatchSize: 8),
            RunLayout(concurrentBatches: 2, intraOpThreads: 1, maxBatchSize: 4),
        ])
        // A batch smaller than the cores still gives every concurrent batch one item.
        #expect(RunLayoutChoice.candidates(cores: 16, batchSize: 4).map(\.maxBatchSize) == [4, 1])
        #expect(RunLayoutChoice.candidates(cores: 0, batchSize: 0) == [RunLayout(concurrentBatches: 1, intraOpThreads: 1, maxBatchSize: 1)])
    }

    private func measured(_ one: Double, _ two: Double) -> [RunLayout] {
        [RunLayout(concurrentBatches: 1, intraOpThreads: 2, maxBatchSize: 8, itemsPerSecond: one),
         RunLayout(concurrentBatches: 2, intraOpThreads: 1, maxBatchSize: 4, itemsPerSecond: two)]
    }

    @Test func moreBatchesAtOnceOnlyWhenTheyBuyMoreThanTheTolerance() {
        #expect(RunLayoutChoice.choose(measured(2000, 2400))?.concurrentBatches == 2)
        // Within 5% of the best: the fewer batches at once win (each runs on more threads).
        #expect(RunLayoutChoice.choose(measured(2000, 2090))?.concurrentBatches == 1)
        #expect(RunLayoutChoice.choose(measured(2000, 1500))?.concurrentBatches == 1)
        #expect(RunLayoutChoice.choose(measured(2000, 2400), tolerance: 0.25)?.concurrentBatches == 1)
    }

    @Test func unusableMeasurementsAreIgnored() {
        #expect(RunLayoutChoice.choose([]) == nil)
        #expect(RunLayoutChoice.choose(measured(0, .nan)) == nil)
        #expect(RunLayoutChoice.choose(measured(.infinity, 900))?.concurrentBatches == 2)
    }
}

@Suite struct WarmupInputShapeTests {
    @Test func dynamicDimensionsTakeTheProbeSizesInOrder() {
        let model = ModelInfo(inputs: [
            TensorInfo(name: "x", elementType: .float32, shape: [-1, 3, -1, -1]),
            TensorInfo(name: "ids", elementType: .int64, shape: [-1, -1]),
            TensorInfo(name: "fixed", elementType: .float32, shape: [2, 2]),
        ], outputs: [])
        let shapes = WarmupInputs.make(for: model, batch: 8, dynamicDimensions: [48, 192]).map(\.shape)
        #expect(shapes == [[8, 3, 48, 192], [8, 48], [2, 2]])
        #expect(WarmupInputs.make(for: model, batch: 2, dynamicDimensions: [16]).map(\.shape) == [[2, 3, 16, 16], [2, 16], [2, 2]])
        #expect(WarmupInputs.make(for: model, batch: 1).map(\.shape) == [[1, 3, 1, 1], [1, 1], [2, 2]])
    }
}
