/// A step from a document's root: a mapping key or a sequence index.
enum PathComponent: Hashable {
    case key(String)
    case index(Int)
}

/// Where the values of one document start, by path; for error messages
/// about values that parsed but do not fit a type.
struct SourcePositions {
    var marks: [[PathComponent]: YAMLMark] = [:]

    /// The mark of the value at `path`, else of its nearest recorded
    /// ancestor (values repeated by aliases or merges have none of their own).
    func mark(for path: [PathComponent]) -> YAMLMark? {
        var path = path
        while true {
            if let mark = marks[path] { return mark }
            if path.isEmpty { return nil }
            path.removeLast()
        }
    }
}
