import Foundation
import HTTP
import JSONValue
import KubeAPI
import KubeClient

/// One fuzz input: the first byte seeds how the rest is cut into body chunks;
/// the rest is a watch response body. Checks:
/// - the lines assembled from the chunks are exactly the body split on `\n`,
///   however the chunks fall;
/// - every line decodes to an event or throws a `KubeAPIError` (never traps);
/// - a decoded event written back as a watch line decodes to the same event;
/// - an event's object decodes as a Deployment or throws (never traps), and
///   a decoded Deployment survives encode -> decode.
@_cdecl("LLVMFuzzerTestOneInput")
public func watchStreamFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size >= 1 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let body = Array(input.dropFirst())
    let chunks = cut(body, seed: input[0])

    let assembled = assembleLines(chunks)
    let expected = referenceLines(body)
    if assembled != expected {
        fatalError("line assembly differs from splitting on newlines; chunks \(chunks.map(\.count)), body \(String(decoding: body, as: UTF8.self).debugDescription)")
    }

    for line in assembled {
        let event: WatchEvent
        do {
            event = try WatchEventSequence.decode(line: line)
        } catch {
            continue  // typed by the signature: KubeAPIError
        }
        let rewritten = watchLine(for: event)
        do {
            let again = try WatchEventSequence.decode(line: rewritten)
            if again != event {
                fatalError("a re-written event decodes differently: \(event) vs \(again)")
            }
        } catch {
            fatalError("a re-written event does not decode: \(error)\n\(String(decoding: rewritten, as: UTF8.self))")
        }
        if let object = event.object, let deployment = try? object.decode(Deployment.self) {
            // What decodes as a Deployment survives encode -> decode.
            do {
                let again = try JSON(encoding: deployment).decode(Deployment.self)
                if again != deployment { fatalError("a Deployment changes through encode -> decode: \(deployment) vs \(again)") }
            } catch {
                fatalError("an encoded Deployment does not decode: \(error)")
            }
        }
    }
    return 0
}

/// Cuts `bytes` into chunks of 1...64 bytes chosen by a small LCG from `seed`
/// (seed 0: one chunk), as the network would deliver them.
func cut(_ bytes: [UInt8], seed: UInt8) -> [[UInt8]] {
    guard seed != 0 else { return bytes.isEmpty ? [] : [bytes] }
    var state = UInt32(seed)
    var chunks: [[UInt8]] = []
    var index = 0
    while index < bytes.count {
        state = state &* 1_103_515_245 &+ 12_345
        let length = Int((state >> 16) % 64) + 1
        let end = min(bytes.count, index + length)
        chunks.append(Array(bytes[index..<end]))
        index = end
    }
    return chunks
}

/// Runs `HTTPLineSequence` over the chunks (on the cooperative pool; this
/// thread only waits, it is libFuzzer's own).
func assembleLines(_ chunks: [[UInt8]]) -> [[UInt8]] {
    let (stream, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
    for chunk in chunks { continuation.yield(chunk) }
    continuation.finish()
    let box = ResultBox()
    let done = DispatchSemaphore(value: 0)
    Task {
        var lines: [[UInt8]] = []
        do {
            for try await line in HTTPLineSequence(chunks: stream) { lines.append(line) }
        } catch {
            fatalError("the line sequence threw without a transport error: \(error)")
        }
        box.lines = lines
        done.signal()
    }
    done.wait()
    return box.lines
}

final class ResultBox: @unchecked Sendable {
    var lines: [[UInt8]] = []
}

/// The contract: split on `\n` without the terminator; a final line without a
/// newline is delivered when not empty.
func referenceLines(_ body: [UInt8]) -> [[UInt8]] {
    var lines = body.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
    if let last = lines.last, last.isEmpty { lines.removeLast() }
    return lines
}

/// The event as the API server would send it.
func watchLine(for event: WatchEvent) -> [UInt8] {
    let value: JSON
    switch event {
    case .added(let object): value = ["type": "ADDED", "object": object]
    case .modified(let object): value = ["type": "MODIFIED", "object": object]
    case .deleted(let object): value = ["type": "DELETED", "object": object]
    case .bookmark(let resourceVersion):
        value = ["type": "BOOKMARK", "object": ["metadata": ["resourceVersion": .string(resourceVersion)]]]
    }
    return value.serializedBytes()
}
