import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Logging
import NIOPosix
import ServiceLifecycle

/// The gRPC listener as a lifecycle service: plaintext HTTP/2 (h2c, as Triton's and KServe's
/// gRPC ports are inside a cluster) on the HTTP listener's event loops. Graceful shutdown
/// stops accepting calls and lets the running ones finish.
struct GRPCListener: Service {
    let host: String
    let port: Int
    /// Largest request message; larger ones fail with RESOURCE_EXHAUSTED before decoding.
    let maxMessageBytes: Int
    let service: V2GRPCService
    let eventLoopGroup: MultiThreadedEventLoopGroup
    let logger: Logger

    func run() async throws {
        let address: SocketAddress = host.firstIndex(of: ":") != nil ? .ipv6(host: host, port: port) : .ipv4(host: host, port: port)
        let transport = HTTP2ServerTransport.Posix(
            address: address, transportSecurity: .plaintext,
            config: Self.transportConfiguration(maxMessageBytes: maxMessageBytes),
            eventLoopGroup: eventLoopGroup)
        let server = GRPCServer(transport: transport, services: [service])
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await server.serve() }
                if let bound = try? await transport.listeningAddress {
                    logger.info("grpc listening", metadata: ["address": "\(bound)", "service": "\(V2GRPCService.serviceName)"])
                }
            }
        } onGracefulShutdown: {
            server.beginGracefulShutdown()
        }
    }

    /// The HTTP/2 settings: grpc-swift's defaults keep the flow-control window at 64 KiB, which
    /// holds every stream of a connection to 64 KiB in flight: calls sharing one connection (as gRPC
    /// clients do) each wait for window updates once inputs are larger than a few KiB (the OCR
    /// classifier's 110 KiB images ran at a third of HTTP's rate). The window is the HTTP/2 target
    /// grpc's own implementations grow to by BDP probing (a few MiB); frames of 64 KiB cut the
    /// per-frame work of large tensors fourfold. Streams per connection are capped.
    static func transportConfiguration(maxMessageBytes: Int) -> HTTP2ServerTransport.Posix.Config {
        .defaults { config in
            config.rpc.maxRequestPayloadSize = maxMessageBytes
            config.http2.targetWindowSize = windowBytes
            config.http2.maxFrameSize = 1 << 16
            config.http2.maxConcurrentStreams = maxConcurrentStreams
        }
    }

    static let windowBytes = 8 << 20
    /// Calls one connection may have open at once (HTTP/2's SETTINGS_MAX_CONCURRENT_STREAMS; grpc-swift
    /// sends none, which leaves it unlimited). Past the batcher's queue the calls are refused anyway;
    /// this bounds what one client can make the server hold before that (streams, buffers, tasks).
    static let maxConcurrentStreams = 1024
}
