import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle
import NIOCore
import Synchronization

/// A real OTLP/HTTP trace receiver for tests: a Hummingbird server on a free loopback port that
/// keeps the spans of every `POST /v1/traces` (protobuf bodies, decoded with `OTLPDecoder`).
final class OTLPReceiver: Sendable {
    private let state = Mutex<(requests: Int, spans: [ReceivedSpan], contentTypes: [String], errors: [String])>(
        (0, [], [], []))

    var requests: Int { state.withLock { $0.requests } }
    var spans: [ReceivedSpan] { state.withLock { $0.spans } }
    var contentTypes: [String] { state.withLock { $0.contentTypes } }
    var decodeErrors: [String] { state.withLock { $0.errors } }

    /// Runs `body` with the receiver listening; returns its base URL (`http://127.0.0.1:PORT`).
    static func with<T: Sendable>(_ body: @Sendable (OTLPReceiver, String) async throws -> T) async throws -> T {
        let receiver = OTLPReceiver()
        let router = Router()
        router.post("/v1/traces") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 16 << 20)
            receiver.record(Array(buffer.readableBytesView), contentType: request.headers[.contentType] ?? "")
            var headers = HTTPFields()
            headers[.contentType] = "application/x-protobuf"  // an empty ExportTraceServiceResponse
            return Response(status: .ok, headers: headers, body: .init())
        }
        let (portStream, portSink) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "otlp-receiver")
        logger.logLevel = .warning
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portSink.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let services = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            var ports = portStream.makeAsyncIterator()
            guard let port = await ports.next() else { throw CancellationError() }
            let result: Result<T, any Error>
            do {
                result = .success(try await body(receiver, "http://127.0.0.1:\(port)"))
            } catch {
                result = .failure(error)
            }
            await services.triggerGracefulShutdown()
            try await group.waitForAll()
            return try result.get()
        }
    }

    private func record(_ bytes: [UInt8], contentType: String) {
        let decoded = Result { try OTLPDecoder.spans(ofExportRequest: bytes) }
        state.withLock { state in
            state.requests += 1
            state.contentTypes.append(contentType)
            switch decoded {
            case .success(let spans): state.spans += spans
            case .failure(let error): state.errors.append("\(error)")
            }
        }
    }
}

/// The fields of an OTLP span the tests look at. Ids are lowercase hex, as in `traceparent`.
struct ReceivedSpan: Sendable {
    var traceID = ""
    var spanID = ""
    var parentSpanID = ""
    var name = ""
    var kind = 0
    var attributes: [String: AttributeValue] = [:]
    var links: [(traceID: String, spanID: String)] = []
    var statusCode = 0
}

enum AttributeValue: Sendable, Equatable {
    case string(String), bool(Bool), int(Int64), double(Double), other
}

/// Reads `ExportTraceServiceRequest` protobuf bytes (opentelemetry-proto, trace/v1) with a small
/// wire-format reader: only the fields above are decoded, everything else is skipped.
enum OTLPDecoder {
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    static func spans(ofExportRequest bytes: [UInt8]) throws -> [ReceivedSpan] {
        var spans: [ReceivedSpan] = []
        for (field, resourceSpans) in try fields(bytes) where field.number == 1 {          // resource_spans
            for (scopeField, scopeSpans) in try fields(resourceSpans.bytes) where scopeField.number == 2 {  // scope_spans
                for (spanField, span) in try fields(scopeSpans.bytes) where spanField.number == 2 {   // spans
                    spans.append(try decodeSpan(span.bytes))
                }
            }
        }
        return spans
    }

    private static func decodeSpan(_ bytes: [UInt8]) throws -> ReceivedSpan {
        var span = ReceivedSpan()
        for (field, value) in try fields(bytes) {
            switch field.number {
            case 1: span.traceID = hex(value.bytes)
            case 2: span.spanID = hex(value.bytes)
            case 4: span.parentSpanID = hex(value.bytes)
            case 5: span.name = String(decoding: value.bytes, as: UTF8.self)
            case 6: span.kind = Int(value.varint)
            case 9:
                let (key, attribute) = try decodeKeyValue(value.bytes)
                span.attributes[key] = attribute
            case 13:
                var link = (traceID: "", spanID: "")
                for (linkField, linkValue) in try fields(value.bytes) {
                    if linkField.number == 1 { link.traceID = hex(linkValue.bytes) }
                    if linkField.number == 2 { link.spanID = hex(linkValue.bytes) }
                }
                span.links.append(link)
            case 15:
                for (statusField, statusValue) in try fields(value.bytes) where statusField.number == 3 {
                    span.statusCode = Int(statusValue.varint)
                }
            default: break
            }
        }
        return span
    }

    private static func decodeKeyValue(_ bytes: [UInt8]) throws -> (String, AttributeValue) {
        var key = ""
        var value = AttributeValue.other
        for (field, content) in try fields(bytes) {
            if field.number == 1 { key = String(decoding: content.bytes, as: UTF8.self) }
            if field.number == 2 {
                for (anyField, anyValue) in try fields(content.bytes) {
                    switch anyField.number {
                    case 1: value = .string(String(decoding: anyValue.bytes, as: UTF8.self))
                    case 2: value = .bool(anyValue.varint != 0)
                    case 3: value = .int(Int64(bitPattern: anyValue.varint))
                    case 4: value = .double(Double(bitPattern: anyValue.varint))
                    default: value = .other
                    }
                }
            }
        }
        return (key, value)
    }

    struct Field {
        let number: Int
    }

    /// A field's payload: a varint / fixed value, or the bytes of a length-delimited field.
    struct Value {
        var varint: UInt64 = 0
        var bytes: [UInt8] = []
    }

    static func fields(_ bytes: [UInt8]) throws -> [(Field, Value)] {
        var result: [(Field, Value)] = []
        var index = 0
        func varint() throws -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard index < bytes.count, shift < 64 else { throw Malformed(description: "truncated varint") }
                let byte = bytes[index]
                index += 1
                value |= UInt64(byte & 0x7f) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
        }
        func fixed(_ width: Int) throws -> UInt64 {
            guard index + width <= bytes.count else { throw Malformed(description: "truncated fixed\(width * 8)") }
            var value: UInt64 = 0
            for offset in 0..<width { value |= UInt64(bytes[index + offset]) << (8 * UInt64(offset)) }
            index += width
            return value
        }
        while index < bytes.count {
            let tag = try varint()
            let number = Int(tag >> 3)
            var value = Value()
            switch tag & 7 {
            case 0: value.varint = try varint()
            case 1: value.varint = try fixed(8)
            case 5: value.varint = try fixed(4)
            case 2:
                let length = Int(try varint())
                guard length >= 0, index + length <= bytes.count else { throw Malformed(description: "field \(number) runs past the end") }
                value.bytes = Array(bytes[index..<(index + length)])
                index += length
            default: throw Malformed(description: "unsupported wire type \(tag & 7)")
            }
            result.append((Field(number: number), value))
        }
        return result
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xf)]] })
    }
}
