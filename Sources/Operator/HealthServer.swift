import Hummingbird
import Logging
import Prometheus

/// `/metrics` (Prometheus text format), `/healthz` (the process runs) and
/// `/readyz` (caches synced and, with leader election, the role known).
public enum HealthServer {
    public static func application(host: String, port: Int, registry: PrometheusCollectorRegistry,
                                   ready: @escaping @Sendable () -> Bool, logger: Logger,
                                   onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router()
        router.get("/healthz") { _, _ in "ok" }
        router.get("/readyz") { _, _ -> Response in
            ready()
                ? Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "ok")))
                : Response(status: .serviceUnavailable, body: ResponseBody(byteBuffer: ByteBuffer(string: "not ready")))
        }
        router.get("/metrics") { _, _ -> Response in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16_384)
            registry.emit(into: &buffer)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: buffer)))
        }
        return Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "inference-operator"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}
