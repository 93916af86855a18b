import HTTP
import JSONValue
import KubeAPI

/// One event of a watch on JSON documents.
public enum WatchEvent: Sendable, Equatable {
    case added(JSON)
    case modified(JSON)
    case deleted(JSON)
    /// Progress marker: everything up to this resourceVersion was delivered.
    case bookmark(resourceVersion: String)

    public var object: JSON? {
        switch self {
        case .added(let o), .modified(let o), .deleted(let o): return o
        case .bookmark: return nil
        }
    }

    /// The resourceVersion to resume a watch from after this event.
    public var resourceVersion: String? {
        switch self {
        case .bookmark(let rv): return rv
        default: return object?[path: "metadata", "resourceVersion"]?.stringValue
        }
    }
}

/// One event of a typed watch.
public enum TypedWatchEvent<T: KubeResource>: Sendable {
    case added(T)
    case modified(T)
    case deleted(T)
    case bookmark(resourceVersion: String)
    /// An object that did not decode into `T`: reported, never dropped.
    case undecodable(type: String, object: JSON, reason: String)
}

extension KubeClient {
    /// Opens a watch. Returns once the server accepted it; events then
    /// arrive as they happen. Errors thrown while iterating are
    /// `KubeAPIError`s: `.gone` (HTTP 410 or an `ERROR` event with code
    /// 410) means the resourceVersion is compacted and the caller must relist.
    /// The sequence ends when the server closes the watch (`timeoutSeconds`).
    public func watch(_ type: ResourceType, namespace: String? = nil, options: WatchOptions = WatchOptions()) async throws(KubeAPIError) -> WatchEventSequence {
        let request = try await makeRequest(.get, type.collectionPath(namespace: namespace), query: options.query, timeout: nil)
        let response: HTTPStreamingResponse
        do {
            response = try await transport.stream(request)
        } catch {
            throw .transport(error)
        }
        guard response.status == 200 else {
            var body: [UInt8] = []
            do {
                for try await chunk in response.body {
                    body.append(contentsOf: chunk)
                    if body.count > 65_536 { break }
                }
            } catch {
                // The status line is what matters; a truncated body still maps.
            }
            throw KubeAPIError.from(status: response.status, headers: response.headers, body: body)
        }
        return WatchEventSequence(lines: response.lines)
    }

    /// A typed watch; see `watch(_:namespace:options:)`.
    public func watch<T: KubeResource>(_ type: T.Type, namespace: String? = nil, options: WatchOptions = WatchOptions()) async throws(KubeAPIError) -> TypedWatchEventSequence<T> {
        TypedWatchEventSequence(events: try await watch(T.resourceType, namespace: namespace, options: options))
    }
}

/// Decodes the line-delimited JSON of a watch body.
public struct WatchEventSequence: AsyncSequence, Sendable {
    public typealias Element = WatchEvent
    let lines: HTTPLineSequence

    public func makeAsyncIterator() -> Iterator { Iterator(lines: lines.makeAsyncIterator()) }

    public struct Iterator: AsyncIteratorProtocol {
        var lines: HTTPLineSequence.Iterator

        public mutating func next() async throws -> WatchEvent? {
            while true {
                let line: [UInt8]?
                do {
                    line = try await lines.next()
                } catch let error as HTTPError {
                    throw KubeAPIError.transport(error)
                }
                guard let line else { return nil }
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
                return try WatchEventSequence.decode(line: line)
            }
        }
    }

    /// Decodes one watch line: `{"type": ..., "object": {...}}`.
    public static func decode(line: [UInt8]) throws(KubeAPIError) -> WatchEvent {
        let value: JSON
        do {
            value = try JSON.parse(line)
        } catch {
            throw .decoding("watch event is not valid JSON: \(error)")
        }
        guard let type = value["type"]?.stringValue else { throw .decoding("watch event has no type") }
        guard let object = value["object"], case .object = object else {
            throw .decoding("watch event \(type) has no object")
        }
        switch type {
        case "ADDED": return .added(object)
        case "MODIFIED": return .modified(object)
        case "DELETED": return .deleted(object)
        case "BOOKMARK":
            return .bookmark(resourceVersion: object[path: "metadata", "resourceVersion"]?.stringValue ?? "")
        case "ERROR":
            let status: Status
            do {
                status = try object.decode(Status.self)
            } catch {
                throw .decoding("watch ERROR event with an unreadable Status: \(error)")
            }
            throw KubeAPIError.from(status: status)
        default:
            throw .decoding("unknown watch event type \(type)")
        }
    }
}

public struct TypedWatchEventSequence<T: KubeResource>: AsyncSequence, Sendable {
    public typealias Element = TypedWatchEvent<T>
    let events: WatchEventSequence

    public func makeAsyncIterator() -> Iterator { Iterator(events: events.makeAsyncIterator()) }

    public struct Iterator: AsyncIteratorProtocol {
        var events: WatchEventSequence.Iterator

        public mutating func next() async throws -> TypedWatchEvent<T>? {
            guard let event = try await events.next() else { return nil }
            func typed(_ name: String, _ object: JSON, _ make: (T) -> TypedWatchEvent<T>) -> TypedWatchEvent<T> {
                do {
                    return make(try object.decode(T.self))
                } catch {
                    return .undecodable(type: name, object: object, reason: error.description)
                }
            }
            switch event {
            case .added(let o): return typed("ADDED", o) { .added($0) }
            case .modified(let o): return typed("MODIFIED", o) { .modified($0) }
            case .deleted(let o): return typed("DELETED", o) { .deleted($0) }
            case .bookmark(let rv): return .bookmark(resourceVersion: rv)
            }
        }
    }
}
