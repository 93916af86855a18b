import JSONValue

/// Whether a live object already carries everything a desired (rendered)
/// object says, so applying it again would change nothing. Objects match
/// when every key of the desired object is present and matches; live-only
/// keys (server defaults, other managers' fields, status) are ignored.
/// Arrays match element by element and must have the same length.
public func liveObjectSatisfies(_ live: JSON, desired: JSON) -> Bool {
    switch (live, desired) {
    case (.object(let l), .object(let d)):
        for (key, value) in d {
            guard let liveValue = l[key], liveObjectSatisfies(liveValue, desired: value) else { return false }
        }
        return true
    case (.array(let l), .array(let d)):
        return l.count == d.count && zip(l, d).allSatisfy { liveObjectSatisfies($0, desired: $1) }
    default:
        return live.isEquivalent(to: desired)
    }
}
