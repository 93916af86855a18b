import ModelSource
import ServingAPI

/// Pinning an `hf://` model to a commit (pure). A branch or tag moves; the
/// pods must not, or replicas started an hour apart would serve different
/// models. So the operator asks the Hub once which commit the revision points
/// at, records it in `status.model`, and renders `hf://org/repo/path@<commit>`.
/// It asks again only when `spec.model.uri`, `spec.model.storage.endpoint` or
/// the refresh annotation changes (`kubectl annotate infsvc NAME
/// serving.swiftinfer.io/model-revision-refresh=$(date +%s) --overwrite`
/// takes a branch's new head).
enum ModelRevisionPin {
    static let refreshAnnotation = "serving.swiftinfer.io/model-revision-refresh"

    enum Plan: Equatable {
        /// Not `hf://`, or its revision is already a commit: nothing to pin.
        case none
        /// The recorded pin still applies.
        case keep(ModelStatus)
        /// Ask the Hub.
        case resolve
    }

    static func plan(uri: String, endpoint: String?, refresh: String?, recorded: ModelStatus?) -> Plan {
        guard let location = hubLocation(uri), !location.revisionIsCommit else { return .none }
        if let recorded, recorded.uri == uri, recorded.endpoint == endpoint, recorded.refresh == refresh,
           HuggingFaceLocation.isCommit(recorded.revision) {
            return .keep(recorded)
        }
        return .resolve
    }

    /// `uri` with its revision replaced by `commit`; nil when `uri` is not an `hf://` URI.
    static func pinnedURI(_ uri: String, commit: String) -> String? {
        hubLocation(uri)?.pinned(to: commit).description
    }

    static func hubLocation(_ uri: String) -> HuggingFaceLocation? {
        guard case .success(.huggingFace(let location)) = ModelURI.parse(uri) else { return nil }
        return location
    }
}
