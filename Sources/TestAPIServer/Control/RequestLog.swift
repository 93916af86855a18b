import JSONValue
import NIOConcurrencyHelpers

/// One served request, for tests to assert on ("no writes happened").
public struct RequestRecord: Sendable, Equatable {
    /// Kubernetes verb (get, list, watch, create, update, patch, delete,
    /// deletecollection) or the lowercased HTTP method for other paths.
    public var verb: String
    public var method: String
    public var path: String
    public var query: String
    public var userAgent: String
    public var user: String
    public var status: Int
    /// The resource addressed (empty for non-resource paths), e.g. "deployments", "scale", "default", "web".
    public var group: String = ""
    public var resource: String = ""
    public var subresource: String = ""
    public var namespace: String = ""
    public var name: String = ""

    public var isWrite: Bool { ["create", "update", "patch", "delete", "deletecollection"].contains(verb) }

    var json: JSON {
        ["verb": .string(verb), "method": .string(method), "path": .string(path), "query": .string(query),
         "userAgent": .string(userAgent), "user": .string(user), "status": .int(Int64(status)),
         "group": .string(group), "resource": .string(resource), "subresource": .string(subresource),
         "namespace": .string(namespace), "name": .string(name)]
    }
}

/// Thread-safe, bounded log of API requests (admin and health paths excluded).
public final class RequestLog: Sendable {
    private let storage = NIOLockedValueBox<[RequestRecord]>([])
    private let capacity: Int

    public init(capacity: Int = 100_000) { self.capacity = capacity }

    public func append(_ record: RequestRecord) {
        storage.withLockedValue {
            $0.append(record)
            if $0.count > capacity { $0.removeFirst($0.count - capacity) }
        }
    }

    public var records: [RequestRecord] { storage.withLockedValue { $0 } }
    public var writes: [RequestRecord] { records.filter(\.isWrite) }
    public func clear() { storage.withLockedValue { $0.removeAll() } }

    var json: JSON { ["items": .array(records.map(\.json))] }
}
