import HTTP
import Testing

@Suite struct LineSequenceTests {
    private func lines(of chunks: [String]) async throws -> [String] {
        let stream = AsyncThrowingStream<[UInt8], any Error> { continuation in
            for chunk in chunks { continuation.yield(Array(chunk.utf8)) }
            continuation.finish()
        }
        var result: [String] = []
        for try await line in HTTPLineSequence(chunks: stream) { result.append(String(decoding: line, as: UTF8.self)) }
        return result
    }

    @Test(arguments: [
        (["a\nb\n"], ["a", "b"]),
        (["a", "b\nc", "d\n"], ["ab", "cd"]),
        (["{\"x\":", "1}\n{\"y\"", ":2}"], ["{\"x\":1}", "{\"y\":2}"]),
        (["\n\n"], ["", ""]),
        (["tail without newline"], ["tail without newline"]),
        (["one\ntw", "o"], ["one", "two"]),
        ([], []),
        (["", "", "x\n", ""], ["x"]),
    ] as [([String], [String])])
    func splitsOnNewlinesWhereverChunksFall(chunks: [String], expected: [String]) async throws {
        #expect(try await lines(of: chunks) == expected)
    }

    @Test func everyByteSplitGivesTheSameLines() async throws {
        let text = "first line\nsecond\n\nfourth has more text\nlast"
        let bytes = Array(text.utf8)
        for cut in 1..<bytes.count {
            let chunks = [String(decoding: bytes[..<cut], as: UTF8.self), String(decoding: bytes[cut...], as: UTF8.self)]
            #expect(try await lines(of: chunks) == ["first line", "second", "", "fourth has more text", "last"])
        }
    }

    @Test func endsAfterAFinalLineWithoutNewline() async throws {
        let stream = AsyncThrowingStream<[UInt8], any Error> { continuation in
            continuation.yield(Array("a\nb".utf8))
            continuation.finish()
        }
        var iterator = HTTPLineSequence(chunks: stream).makeAsyncIterator()
        #expect(try await iterator.next() == Array("a".utf8))
        #expect(try await iterator.next() == Array("b".utf8))
        #expect(try await iterator.next() == nil)
        #expect(try await iterator.next() == nil)
    }
}
