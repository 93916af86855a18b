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
        let address: SocketAddress = host.contains(":") ? .ipv6(host: host, port: port) : .ipv4(host: host, port: port)
        let transport = HTTP2ServerTransport.Posix(
            address: address, transportSecurity: .plaintext,
            config: .defaults { config in config.rpc.maxRequestPayloadSize = maxMessageBytes },
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
}
