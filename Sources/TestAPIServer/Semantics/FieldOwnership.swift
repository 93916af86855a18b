import JSONValue

/// Simplified field ownership for `metadata.managedFields` and server-side
/// apply. The simplification, exactly:
/// - A *field* is a leaf path of the object: a scalar, an array, or an empty
///   object. Arrays are atomic (one field), even those Kubernetes treats as
///   associative lists (containers by name): applying a container list takes
///   the whole list.
/// - `apiVersion`, `kind` and the server-set metadata (name, namespace, uid,
///   resourceVersion, generation, creationTimestamp, deletionTimestamp,
///   managedFields) are not tracked.
/// - Entries are keyed by (manager, operation, subresource). `Update`
///   (create/put/patch) gives its manager the leaves whose value it changed and
///   takes them from every other entry. `Apply` gives its manager exactly the
///   leaves of its configuration.
/// - An apply conflicts when another entry (any but the applier's own Apply
///   entry for the same subresource) owns a leaf of the configuration
///   (or a prefix/extension of it) whose current value differs from the applied
///   one; `force=true` moves such leaves to the applier. Leaves the applier
///   owned before, dropped from its configuration, and owned by nobody else are
///   removed from the object.
/// - `fieldsV1` is written in the real `f:` notation (without `k:`/`v:` keys).
enum FieldOwnership {
    typealias Path = [String]

    struct Entry: Equatable {
        var manager: String
        var operation: String      // "Apply" or "Update"
        var apiVersion: String
        var time: String
        var subresource: String?
        var fields: Set<Path>
    }

    static let untrackedMetadata: Set<String> = [
        "name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink",
    ]

    static func leaves(_ object: JSON) -> Set<Path> {
        var out = Set<Path>()
        guard case .object(let root) = object else { return out }
        for (key, value) in root where key != "apiVersion" && key != "kind" {
            if key == "metadata", case .object(let meta) = value {
                for (mk, mv) in meta where !untrackedMetadata.contains(mk) { collect(mv, ["metadata", mk], &out) }
            } else {
                collect(value, [key], &out)
            }
        }
        return out
    }

    private static func collect(_ value: JSON, _ path: Path, _ out: inout Set<Path>) {
        if case .object(let o) = value, !o.isEmpty {
            for (k, v) in o { collect(v, path + [k], &out) }
        } else {
            out.insert(path)
        }
    }

    static func value(at path: Path, in object: JSON) -> JSON? {
        var current: JSON? = object
        for key in path { current = current?[key] }
        return current
    }

    /// Leaves whose value differs between `old` and `new` (added, changed or removed).
    static func changedLeaves(from old: JSON?, to new: JSON) -> Set<Path> {
        let newLeaves = leaves(new)
        guard let old else { return newLeaves }
        var changed = Set<Path>()
        for path in newLeaves {
            let before = value(at: path, in: old)
            if before == nil || before?.isEquivalent(to: value(at: path, in: new) ?? .null) == false { changed.insert(path) }
        }
        for path in leaves(old) where value(at: path, in: new) == nil { changed.insert(path) }
        return changed
    }

    static func overlaps(_ a: Path, _ b: Path) -> Bool {
        let n = min(a.count, b.count)
        return a.prefix(n) == b.prefix(n)
    }

    // MARK: managedFields <-> entries

    static func entries(of object: JSON) -> [Entry] {
        guard case .array(let items)? = object[path: "metadata", "managedFields"] else { return [] }
        return items.compactMap { item in
            guard let manager = item["manager"]?.stringValue, let operation = item["operation"]?.stringValue else { return nil }
            return Entry(manager: manager, operation: operation, apiVersion: item["apiVersion"]?.stringValue ?? "",
                         time: item["time"]?.stringValue ?? "", subresource: item["subresource"]?.stringValue,
                         fields: paths(fromFieldsV1: item["fieldsV1"] ?? .object([:])))
        }
    }

    static func write(_ entries: [Entry], into object: inout JSON) {
        let kept = entries.filter { !$0.fields.isEmpty }
        var meta = object["metadata"]?.objectValue ?? [:]
        meta["managedFields"] = kept.isEmpty ? nil : .array(kept.map { entry in
            var o: JSONObject = ["manager": .string(entry.manager), "operation": .string(entry.operation),
                                 "apiVersion": .string(entry.apiVersion), "time": .string(entry.time),
                                 "fieldsType": "FieldsV1", "fieldsV1": fieldsV1(entry.fields)]
            if let sub = entry.subresource { o["subresource"] = .string(sub) }
            return .object(o)
        })
        object["metadata"] = .object(meta)
    }

    static func fieldsV1(_ paths: Set<Path>) -> JSON {
        var root = JSON.object([:])
        for path in paths.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            root = inserting(path[...], into: root)
        }
        return root
    }

    private static func inserting(_ path: ArraySlice<String>, into node: JSON) -> JSON {
        guard let first = path.first else { return node }
        var object = node.objectValue ?? [:]
        object["f:" + first] = inserting(path.dropFirst(), into: object["f:" + first] ?? .object([:]))
        return .object(object)
    }

    static func paths(fromFieldsV1 node: JSON) -> Set<Path> {
        var out = Set<Path>()
        func walk(_ n: JSON, _ prefix: Path) {
            guard case .object(let o) = n else { return }
            let children = o.filter { $0.0.hasPrefix("f:") }
            if children.isEmpty { if !prefix.isEmpty { out.insert(prefix) }; return }
            for (k, v) in children { walk(v, prefix + [String(k.dropFirst(2))]) }
        }
        walk(node, [])
        return out
    }

    // MARK: operations

    /// Records an `Update` by `manager` that turned `old` into `new`.
    static func recordUpdate(old: JSON?, new: inout JSON, manager: String, apiVersion: String,
                             subresource: String?, time: String) {
        var list = entries(of: old ?? .null)
        let changed = changedLeaves(from: old, to: new)
        guard !changed.isEmpty || old == nil else { write(list, into: &new); return }
        for i in list.indices {
            list[i].fields = list[i].fields.filter { path in !changed.contains { overlaps($0, path) } }
        }
        if let i = list.firstIndex(where: { $0.manager == manager && $0.operation == "Update" && $0.subresource == subresource }) {
            list[i].fields.formUnion(changed)
            list[i].time = time
            list[i].apiVersion = apiVersion
        } else {
            list.append(Entry(manager: manager, operation: "Update", apiVersion: apiVersion, time: time,
                              subresource: subresource, fields: changed))
        }
        write(list, into: &new)
    }

    enum ApplyOutcome {
        case success(JSON)
        case failure([Conflict])
    }

    struct Conflict: Equatable {
        var manager: String
        var apiVersion: String
        var operation: String = "Update"
        var subresource: String?
        var path: Path
        var field: String { "." + path.joined(separator: ".") }

        /// The manager as the server names it in conflicts (fieldmanager
        /// `printManager`): quoted, its subresource, and for an Update the API
        /// version it used.
        var printedManager: String {
            var text = "\"\(manager)\""
            if let subresource, !subresource.isEmpty { text += " with subresource \"\(subresource)\"" }
            if operation == "Update" { text += " using \(apiVersion)" }
            return text
        }
    }

    /// Server-side apply of `config` by `manager` onto `current` (nil: create).
    /// Returns the merged object with managedFields updated, or the conflicts.
    static func apply(config: JSON, to current: JSON?, manager: String, apiVersion: String,
                      subresource: String?, force: Bool, time: String) -> ApplyOutcome {
        var list = entries(of: current ?? .null)
        let applied = leaves(config)
        // The applier's own Apply entry; its Update entries (e.g. `kubectl scale`
        // under the same name) are other owners, as in the real server.
        func isMine(_ e: Entry) -> Bool { e.manager == manager && e.operation == "Apply" && e.subresource == subresource }
        var conflicts: [Conflict] = []
        for entry in list where !isMine(entry) {
            for owned in entry.fields {
                for path in applied where overlaps(path, owned) {
                    let now = current.flatMap { value(at: owned, in: $0) }
                    let wanted = value(at: owned, in: config) ?? value(at: path, in: config)
                    if let now, let wanted, now.isEquivalent(to: wanted) { continue }
                    if now == nil { continue }
                    conflicts.append(Conflict(manager: entry.manager, apiVersion: entry.apiVersion, operation: entry.operation,
                                               subresource: entry.subresource, path: owned))
                }
            }
        }
        if !conflicts.isEmpty && !force {
            let unique = Dictionary(grouping: conflicts, by: { "\($0.manager)|\($0.field)" }).values.compactMap(\.first)
            return .failure(unique.sorted { ($0.manager, $0.field) < ($1.manager, $1.field) })
        }
        if force {
            let taken = Set(conflicts.map(\.path))
            for i in list.indices where !isMine(list[i]) {
                list[i].fields.subtract(taken)
            }
        }
        var object = current ?? .object([:])
        let previous = list.first(where: isMine)?.fields ?? []
        let ownedByOthers = list.filter { !isMine($0) }.reduce(into: Set<Path>()) { $0.formUnion($1.fields) }
        for path in previous where !applied.contains(path) && !ownedByOthers.contains(path) {
            object = removing(path[...], from: object)
        }
        object = merging(config, into: object)
        list.removeAll(where: isMine)
        list.append(Entry(manager: manager, operation: "Apply", apiVersion: apiVersion, time: time,
                          subresource: subresource, fields: applied))
        write(list, into: &object)
        return .success(object)
    }

    /// Deep merge: objects merge key by key, anything else replaces.
    static func merging(_ patch: JSON, into target: JSON) -> JSON {
        guard case .object(let p) = patch, case .object(var t) = target else { return patch }
        for (k, v) in p { t[k] = merging(v, into: t[k] ?? .null) }
        return .object(t)
    }

    private static func removing(_ path: ArraySlice<String>, from node: JSON) -> JSON {
        guard let first = path.first, case .object(var o) = node else { return node }
        if path.count == 1 {
            o[first] = nil
        } else if let child = o[first] {
            let updated = removing(path.dropFirst(), from: child)
            if case .object(let c) = updated, c.isEmpty { o[first] = nil } else { o[first] = updated }
        }
        return .object(o)
    }
}
