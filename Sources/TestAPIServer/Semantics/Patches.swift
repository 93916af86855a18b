import Foundation
import JSONValue

/// The three patch formats besides server-side apply; pure functions from
/// (object, patch) to the patched object.
enum Patches {
    /// RFC 7386 JSON merge patch: objects merge recursively, `null` deletes a
    /// key, anything else (arrays included) replaces.
    static func mergePatch(_ target: JSON, _ patch: JSON) -> JSON {
        guard case .object(let patchObject) = patch else { return patch }
        var result: JSONObject = target.objectValue ?? [:]
        for (key, value) in patchObject {
            if value.isNull {
                result[key] = nil
            } else {
                result[key] = mergePatch(result[key] ?? .null, value)
            }
        }
        return .object(result)
    }

    /// RFC 6902 JSON patch (add, remove, replace, move, copy, test).
    static func jsonPatch(_ target: JSON, _ patch: JSON) throws(APIError) -> JSON {
        guard case .array(let operations) = patch else {
            throw APIError.badRequest("json patch must be an array of operations")
        }
        var document = target
        for (index, operation) in operations.enumerated() {
            guard let op = operation["op"]?.stringValue, let path = operation["path"]?.stringValue else {
                throw APIError.badRequest("json patch operation \(index) needs string fields \"op\" and \"path\"")
            }
            let pointer = try JSONPointer(path)
            switch op {
            case "add":
                guard let value = operation["value"] else { throw APIError.badRequest("json patch add at \(path) has no value") }
                document = try pointer.adding(value, to: document)
            case "remove":
                document = try pointer.removing(from: document)
            case "replace":
                guard let value = operation["value"] else { throw APIError.badRequest("json patch replace at \(path) has no value") }
                _ = try pointer.value(in: document)
                document = try pointer.removing(from: document)
                document = try pointer.adding(value, to: document)
            case "move", "copy":
                guard let from = operation["from"]?.stringValue else {
                    throw APIError.badRequest("json patch \(op) to \(path) has no \"from\"")
                }
                let source = try JSONPointer(from)
                let value = try source.value(in: document)
                if op == "move" { document = try source.removing(from: document) }
                document = try pointer.adding(value, to: document)
            case "test":
                let actual = try pointer.value(in: document)
                guard let expected = operation["value"], actual.isEquivalent(to: expected) else {
                    throw APIError(code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request: testing value \(path) failed")
                }
            default:
                throw APIError.badRequest("json patch operation \(index): unknown op \"\(op)\"")
            }
        }
        return document
    }

    /// Strategic merge patch for built-in kinds: like a merge patch, but the
    /// lists named in `mergeKeys` merge element-wise by their key, and the
    /// `$patch: delete|replace` and `$deleteFromPrimitiveList/<field>`
    /// directives are honoured (`$setElementOrder`/`$retainKeys` ignored).
    static func strategicMergePatch(_ target: JSON, _ patch: JSON, parentKey: String = "") -> JSON {
        guard case .object(let patchObject) = patch else { return patch }
        if patchObject["$patch"]?.stringValue == "replace" {
            var replaced = patchObject
            replaced["$patch"] = nil
            return .object(replaced)
        }
        var result: JSONObject = target.objectValue ?? [:]
        for (key, value) in patchObject {
            if key.hasPrefix("$deleteFromPrimitiveList/") {
                let field = String(key.dropFirst("$deleteFromPrimitiveList/".count))
                let removed = value.arrayValue ?? []
                if let items = result[field]?.arrayValue {
                    result[field] = .array(items.filter { item in !removed.contains { $0.isEquivalent(to: item) } })
                }
                continue
            }
            if key.hasPrefix("$") { continue }  // $setElementOrder, $retainKeys: order and pruning hints, ignored
            if value.isNull {
                result[key] = nil
            } else if case .array(let patchItems) = value, primitiveMergeLists.contains(key),
                      case .array(let currentItems)? = result[key] {
                result[key] = .array(currentItems + patchItems.filter { item in !currentItems.contains { $0.isEquivalent(to: item) } })
            } else if case .array(let patchItems) = value, let mergeKey = mergeKey(field: key, parent: parentKey),
                      case .array(let currentItems)? = result[key] {
                result[key] = .array(mergeList(currentItems, patchItems, by: mergeKey, field: key))
            } else if case .object = value {
                result[key] = strategicMergePatch(result[key] ?? .null, value, parentKey: key)
            } else {
                result[key] = value
            }
        }
        return .object(result)
    }

    /// Primitive lists with `patchStrategy: merge` (union instead of replace).
    static let primitiveMergeLists: Set<String> = ["finalizers"]

    /// Patch merge keys of the built-in types we serve (from the Kubernetes
    /// API types' `patchMergeKey` tags).
    static func mergeKey(field: String, parent: String) -> String? {
        switch field {
        case "containers", "initContainers", "ephemeralContainers", "env", "volumes", "imagePullSecrets": return "name"
        case "volumeMounts", "volumeDevices": return field == "volumeMounts" ? "mountPath" : "devicePath"
        case "ports": return parent == "spec" ? "port" : "containerPort"
        case "conditions": return "type"
        case "ownerReferences": return "uid"
        default: return nil
        }
    }

    private static func mergeList(_ current: [JSON], _ patch: [JSON], by key: String, field: String) -> [JSON] {
        var result = current
        for item in patch {
            guard let identity = item[key] else { result.append(item); continue }
            let index = result.firstIndex { $0[key]?.isEquivalent(to: identity) == true }
            if item["$patch"]?.stringValue == "delete" {
                if let index { result.remove(at: index) }
            } else if let index {
                result[index] = strategicMergePatch(result[index], item, parentKey: field)
            } else {
                var added = item.objectValue ?? [:]
                added["$patch"] = nil
                result.append(.object(added))
            }
        }
        return result
    }
}

/// An RFC 6901 JSON pointer.
struct JSONPointer {
    var tokens: [String]

    init(_ text: String) throws(APIError) {
        if text.isEmpty { tokens = []; return }
        guard text.hasPrefix("/") else { throw APIError.badRequest("invalid JSON pointer \"\(text)\": must start with /") }
        tokens = text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    private var display: String { "/" + tokens.joined(separator: "/") }

    func value(in document: JSON) throws(APIError) -> JSON {
        var current = document
        for token in tokens {
            switch current {
            case .object(let o):
                guard let next = o[token] else { throw missing() }
                current = next
            case .array(let a):
                guard let i = Int(token), a.indices.contains(i) else { throw missing() }
                current = a[i]
            default: throw missing()
            }
        }
        return current
    }

    private func missing() -> APIError {
        APIError(code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request: path \(display) does not exist")
    }

    func adding(_ value: JSON, to document: JSON) throws(APIError) -> JSON {
        try update(document, tokens[...]) { parent, last throws(APIError) in
            switch parent {
            case .object(var o): o[last] = value; return .object(o)
            case .array(var a):
                if last == "-" { a.append(value); return .array(a) }
                guard let i = Int(last), i >= 0, i <= a.count else { throw missing() }
                a.insert(value, at: i)
                return .array(a)
            default: throw missing()
            }
        } root: { value }
    }

    func removing(from document: JSON) throws(APIError) -> JSON {
        try update(document, tokens[...]) { parent, last throws(APIError) in
            switch parent {
            case .object(var o):
                guard o[last] != nil else { throw missing() }
                o[last] = nil
                return .object(o)
            case .array(var a):
                guard let i = Int(last), a.indices.contains(i) else { throw missing() }
                a.remove(at: i)
                return .array(a)
            default: throw missing()
            }
        } root: { .null }
    }

    private func update(_ node: JSON, _ rest: ArraySlice<String>,
                        _ apply: (JSON, String) throws(APIError) -> JSON, root: () -> JSON) throws(APIError) -> JSON {
        guard let first = rest.first else { return root() }
        if rest.count == 1 { return try apply(node, first) }
        switch node {
        case .object(var o):
            guard let child = o[first] else { throw missing() }
            o[first] = try update(child, rest.dropFirst(), apply, root: root)
            return .object(o)
        case .array(var a):
            guard let i = Int(first), a.indices.contains(i) else { throw missing() }
            a[i] = try update(a[i], rest.dropFirst(), apply, root: root)
            return .array(a)
        default: throw missing()
        }
    }
}
