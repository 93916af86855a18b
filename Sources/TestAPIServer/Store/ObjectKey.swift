import JSONValue

/// Identity of a stored object inside one resource: namespace ("" for
/// cluster-scoped) and name. Ordered the way lists are returned.
struct ObjectKey: Hashable, Comparable, Sendable {
    var namespace: String
    var name: String

    static func < (a: ObjectKey, b: ObjectKey) -> Bool {
        a.namespace == b.namespace ? a.name < b.name : a.namespace < b.namespace
    }
}

/// Options shared by create, update and patch requests.
public struct WriteOptions: Sendable {
    public var fieldManager: String?
    public var userAgent: String
    public var force: Bool
    public var dryRun: Bool
    /// `Strict` turns unknown fields (pruned from custom resources) into errors.
    public var fieldValidation: String?

    public init(fieldManager: String? = nil, userAgent: String = "", force: Bool = false, dryRun: Bool = false,
                fieldValidation: String? = nil) {
        self.fieldManager = fieldManager
        self.userAgent = userAgent
        self.force = force
        self.dryRun = dryRun
        self.fieldValidation = fieldValidation
    }

    /// The manager recorded in managedFields: `fieldManager`, else the user
    /// agent's program name (as the real server does), else "unknown".
    var manager: String {
        if let fieldManager, !fieldManager.isEmpty { return fieldManager }
        let program = userAgent.split(separator: "/").first.map(String.init) ?? ""
        return program.isEmpty ? "unknown" : program
    }
}

/// The result of a write: the stored object, the HTTP code (201 on create)
/// and `Warning` texts (e.g. pruned unknown fields).
public struct WriteResult: Sendable {
    public var object: JSON
    public var code: Int
    public var warnings: [String]
}

/// Deletion options (`DeleteOptions` body or query parameters).
public struct DeleteOptions: Sendable {
    public enum Propagation: String, Sendable { case background = "Background", foreground = "Foreground", orphan = "Orphan" }
    public var propagation: Propagation?
    public var preconditionUID: String?
    public var preconditionResourceVersion: String?
    public var dryRun: Bool

    public init(propagation: Propagation? = nil, preconditionUID: String? = nil,
                preconditionResourceVersion: String? = nil, dryRun: Bool = false) {
        self.propagation = propagation
        self.preconditionUID = preconditionUID
        self.preconditionResourceVersion = preconditionResourceVersion
        self.dryRun = dryRun
    }
}

/// Patch formats accepted on `PATCH`, by content type.
public enum PatchType: String, Sendable, CaseIterable {
    case merge = "application/merge-patch+json"
    case json = "application/json-patch+json"
    case strategic = "application/strategic-merge-patch+json"
    case apply = "application/apply-patch+yaml"
}
