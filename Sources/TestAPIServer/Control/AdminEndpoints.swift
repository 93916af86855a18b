import JSONValue

/// Test control over HTTP under `/testapi/` (no auth, not logged, no faults):
/// - `GET /testapi/requests`, `DELETE /testapi/requests`: the request log
/// - `POST /testapi/faults/fail?count=N&code=500|429&retryAfter=S&verb=V&resource=R[/SUB]`
/// - `POST /testapi/faults/latency?ms=N`
/// - `POST /testapi/faults/drop-watches`
/// - `POST /testapi/faults/clear`
/// - `POST /testapi/compact[?expireWatches=false]`
enum AdminEndpoints {
    static func handle(_ request: APIRequest, _ router: APIRouter) -> APIResponse {
        let ok: JSON = ["ok": true]
        switch (request.method, request.path) {
        case ("GET", "/testapi/requests"): return .json(200, router.log.json)
        case ("DELETE", "/testapi/requests"): router.log.clear(); return .json(200, ok)
        case ("POST", "/testapi/faults/fail"):
            let count = request.query["count"].flatMap { Int($0) } ?? 1
            let code = request.query["code"].flatMap { Int($0) } ?? 500
            guard count > 0, [429, 500, 502, 503, 504].contains(code) else {
                return .error(.badRequest("count must be positive and code one of 429, 500, 502, 503, 504"))
            }
            router.faults.failNext(count, code: code, retryAfter: request.query["retryAfter"].flatMap { Int($0) } ?? 1,
                                   verb: request.query["verb"], resource: request.query["resource"])
            return .json(200, ok)
        case ("POST", "/testapi/faults/latency"):
            guard let ms = request.query["ms"].flatMap({ Int($0) }), ms >= 0 else { return .error(.badRequest("ms must be a non-negative integer")) }
            router.faults.latencyMilliseconds = ms
            return .json(200, ok)
        case ("POST", "/testapi/faults/drop-watches"): router.cluster.dropWatches(); return .json(200, ok)
        case ("POST", "/testapi/faults/clear"): router.faults.clear(); return .json(200, ok)
        case ("POST", "/testapi/compact"):
            router.cluster.compact(expireWatches: request.query["expireWatches"] != "false")
            return .json(200, ["ok": true, "compactedResourceVersion": .int(router.cluster.currentResourceVersion)])
        default:
            return .error(.notFoundPath(request.path))
        }
    }
}
