/// Kubernetes' rules for object names (RFC 1123).
public enum KubernetesName {
    /// A DNS label: at most 63 lowercase alphanumerics or '-', alphanumeric at both ends
    /// (Service names, and so `{name}-predictor`).
    public static func isDNSLabel(_ s: String) -> Bool {
        guard let first = s.first, let last = s.last, s.count <= 63 else { return false }
        return first.isLowercaseAlphanumeric && last.isLowercaseAlphanumeric
            && s.allSatisfy { $0.isLowercaseAlphanumeric || $0 == "-" }
    }

    /// A DNS subdomain: dot-separated DNS labels, at most 253 characters
    /// (most object names: claims, Secrets).
    public static func isDNSSubdomain(_ s: String) -> Bool {
        guard s.count <= 253 else { return false }
        return s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isDNSLabel(String($0)) }
    }
}

extension Character {
    var isLowercaseAlphanumeric: Bool { ("a"..."z").contains(self) || ("0"..."9").contains(self) }
}
