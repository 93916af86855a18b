import JSONValue

/// The commit an `hf://` model's branch or tag pointed at when the operator
/// resolved it, and what it was resolved for. The pods load
/// `hf://org/repo/path@<revision>`, so every replica, scale-up and restart
/// serves the same bytes until the spec, its storage endpoint or the refresh
/// annotation changes.
public struct ModelStatus: Codable, Sendable, Hashable {
    /// `spec.model.uri` the commit was resolved for.
    public var uri: String
    /// `spec.model.storage.endpoint` at the time (absent: the Hub itself).
    public var endpoint: String?
    /// The 40-hex commit id.
    public var revision: String
    public var resolvedAt: String?
    /// The `serving.swiftinfer.io/model-revision-refresh` annotation's value at the time.
    public var refresh: String?

    public init(uri: String, endpoint: String? = nil, revision: String, resolvedAt: String? = nil, refresh: String? = nil) {
        self.uri = uri
        self.endpoint = endpoint
        self.revision = revision
        self.resolvedAt = resolvedAt
        self.refresh = refresh
    }

    static var schema: JSON {
        Schema.object(
            "The commit an hf:// model's revision was pinned to (the pods load that commit).",
            [
                ("uri", Schema.string("spec.model.uri the commit was resolved for.", maxLength: 2048)),
                ("endpoint", Schema.string("spec.model.storage.endpoint at the time.", maxLength: 2048)),
                ("revision", Schema.string("The commit id.", pattern: "^[0-9a-f]{40}$", maxLength: 40)),
                ("resolvedAt", Schema.string("When it was resolved.", format: "date-time")),
                ("refresh", Schema.string("The serving.swiftinfer.io/model-revision-refresh annotation's value at the time.", maxLength: 256)),
            ],
            required: ["uri", "revision"])
    }
}
