import InferenceProtocol
import InferenceServer
import NIOCore
import SeededRandom
import Testing

/// A bounded, seeded stand-in for the libFuzzer run (Fuzz/InferRequestFuzz): mutates valid
/// requests byte by byte and checks the decoder always answers without trapping.
@Suite struct DecoderMutationTests {
    static let seeds: [(String, [UInt8])] = [
        (#"{"id":"a","inputs":[{"name":"x","shape":[2,3],"datatype":"FP32","data":[[1,2,3],[4,5,6]]}],"outputs":[{"name":"z"}]}"#, []),
        (#"{"inputs":[{"name":"s","shape":[2],"datatype":"BYTES","parameters":{"binary_data_size":10}}]}"#, [1, 0, 0, 0, 65, 1, 0, 0, 0, 66]),
        (#"{"inputs":[{"name":"b","shape":[4],"datatype":"BOOL","parameters":{"binary_data_size":4}}],"parameters":{"binary_data_output":true}}"#, [0, 1, 1, 0]),
    ]

    @Test(arguments: 0..<3)
    func mutatedRequestsNeverTrap(seed: Int) {
        var rng = SplitMix64(seed: UInt64(seed) &* 7919)
        let (json, binary) = Self.seeds[seed]
        let original = Array(json.utf8) + binary
        var decodedCount = 0
        for _ in 0..<3000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                guard !bytes.isEmpty else { break }
                let index = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: bytes[index] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes.remove(at: index)
                case 2: bytes.insert(Array("[]{},:\"-09e".utf8).randomElement(using: &rng) ?? 0, at: index)
                default: bytes = Array(bytes.prefix(index))
                }
            }
            let exact = bytes.count - binary.count
            let headerLength: Int? = binary.isEmpty ? nil
                : (Bool.random(using: &rng) ? exact : Int.random(in: -1...(bytes.count + 1), using: &rng))
            if (try? InferRequestDecoder.decode(body: ByteBuffer(bytes: bytes), headerLength: headerLength)) != nil {
                decodedCount += 1
            }
        }
        // Some mutations stay valid (e.g. a changed digit), most are rejected: both paths ran.
        #expect(decodedCount > 0)
        #expect(decodedCount < 3000)
    }
}
