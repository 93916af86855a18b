/// The Kubernetes minor release the test API server answers as
/// (`--kubernetes-version`, `Cluster.Configuration.kubernetesVersion`).
/// CRD fields newer than it are unknown fields, as they are to a real
/// server of that release, and the few messages that changed between
/// releases follow it.
public struct KubernetesVersion: Sendable, Comparable, Hashable, CustomStringConvertible {
    public let major: Int
    public let minor: Int

    public init(_ major: Int, _ minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// Parses `1.28`, `v1.28` or `v1.28.3` (the patch is ignored).
    public init?(_ text: String) {
        let trimmed = text.hasPrefix("v") ? String(text.dropFirst()) : text
        let parts = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, let major = Int(parts[0]), let minor = Int(parts[1]),
              major >= 1, minor >= 0, parts.count == 2 || Int(parts[2]) != nil else { return nil }
        self.init(major, minor)
    }

    public var description: String { "\(major).\(minor)" }

    public static func < (lhs: KubernetesVersion, rhs: KubernetesVersion) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    /// What the server answers as when nothing is configured: the release of
    /// the kubectl the tests use (v1.32).
    public static let `default` = KubernetesVersion(1, 32)
}

/// When the CRD features our product relies on arrived, from the Kubernetes
/// release notes and the apiextensions `v1` types (`types_jsonschema.go`).
/// Fields of a release newer than the server's are unknown fields there:
/// dropped, or a 400 under `fieldValidation=Strict`.
enum CRDFeature: CaseIterable {
    /// `x-kubernetes-validations` with `rule` and `message`: alpha in 1.23
    /// (gate `CustomResourceValidationExpressions`, off by default), beta and
    /// on by default in 1.25, GA in 1.29. Before 1.25 the server drops the
    /// rules (the gate is off), so they are never enforced.
    case validationRules
    /// `messageExpression` in a validation rule: 1.27.
    case messageExpression
    /// `reason` and `fieldPath` in a validation rule: 1.28.
    case reasonAndFieldPath
    /// `fieldValidation=Strict|Warn|Ignore` (server-side field validation):
    /// beta and on by default in 1.25, GA in 1.27. Older servers ignore the parameter.
    case serverSideFieldValidation

    var since: KubernetesVersion {
        switch self {
        case .validationRules: return KubernetesVersion(1, 25)
        case .messageExpression: return KubernetesVersion(1, 27)
        case .reasonAndFieldPath: return KubernetesVersion(1, 28)
        case .serverSideFieldValidation: return KubernetesVersion(1, 25)
        }
    }
}

extension KubernetesVersion {
    func supports(_ feature: CRDFeature) -> Bool { self >= feature.since }
}
