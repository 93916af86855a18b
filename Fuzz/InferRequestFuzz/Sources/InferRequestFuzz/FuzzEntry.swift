import InferenceServer
import NIOCore

/// libFuzzer entry: the first two bytes choose a header length (binary extension) or
/// none; the rest is the body. The decoder must answer with a request or an
/// `InferenceError`, never trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard bytes.count >= 2 else { return 0 }
    let selector = Int(bytes[0]) << 8 | Int(bytes[1])
    let body = ByteBuffer(bytes: bytes.dropFirst(2))
    let headerLength: Int? = selector == 0xFFFF ? nil : selector % (body.readableBytes + 2)
    _ = try? InferRequestDecoder.decode(body: body, headerLength: headerLength)
    return 0
}
