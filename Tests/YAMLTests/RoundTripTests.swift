import JSONValue
import SeededRandom
import Testing
import YAML

@Suite struct RoundTripTests {
    /// emit(v) reads back as v, for thousands of random values per seed.
    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func emittedYAMLReadsBackAsTheSameValue(seed: UInt64) throws {
        var random = RandomJSON(rng: SplitMix64(seed: seed))
        for index in 0..<2_500 {
            let value = random.value()
            let text = YAML.emit(value)
            let back: JSON
            do {
                back = try YAML.parse(text)
            } catch {
                Issue.record("seed \(seed) case \(index): \(error)\n\(text)")
                return
            }
            #expect(back == value, "seed \(seed) case \(index):\n\(text)")
            if back != value { return }
        }
    }

    @Test(arguments: [5, 6] as [UInt64])
    func emittedStreamsReadBackAsTheSameDocuments(seed: UInt64) throws {
        var random = RandomJSON(rng: SplitMix64(seed: seed))
        for index in 0..<500 {
            let documents = (0..<Int.random(in: 0...4, using: &random.rng)).map { _ in random.value() }
            let text = YAML.emitAll(documents)
            #expect(try YAML.parseAll(text) == documents, "seed \(seed) case \(index):\n\(text)")
        }
    }

    /// Parsing an emitted value and emitting again gives the same text.
    @Test func emitParseEmitIsStable() throws {
        var random = RandomJSON(rng: SplitMix64(seed: 99))
        for _ in 0..<500 {
            let text = YAML.emit(random.value())
            #expect(YAML.emit(try YAML.parse(text)) == text)
        }
    }
}
