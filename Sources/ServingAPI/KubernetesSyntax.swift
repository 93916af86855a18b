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

    /// The language of `isDNSLabel` as a schema pattern (length checked by maxLength).
    static let dnsLabelPattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
    /// The language of `isDNSSubdomain` as a schema pattern (length checked by maxLength).
    static let dnsSubdomainPattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
}

extension Character {
    var isLowercaseAlphanumeric: Bool { ("a"..."z").contains(self) || ("0"..."9").contains(self) }
}

/// Kubernetes resource quantities (`500m`, `2`, `1.5Gi`, `1e3`).
enum Quantity {
    /// The same language as the CRD's pattern `Quantity.pattern`.
    static let pattern = #"^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$"#
    static let suffixes: Set<String> = ["", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]

    static func isValid(_ text: String) -> Bool {
        var s = Substring(text)
        if s.first == "+" { s = s.dropFirst() }
        let number = s.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let digits = number.filter { $0 != "." }
        guard !digits.isEmpty, number.filter({ $0 == "." }).count <= 1 else { return false }
        let suffix = s.dropFirst(number.count)
        if suffix.first == "e" || suffix.first == "E" {
            var exponent = suffix.dropFirst()
            if exponent.first == "+" || exponent.first == "-" { exponent = exponent.dropFirst() }
            return !exponent.isEmpty && exponent.allSatisfy { $0.isASCII && $0.isNumber }
        }
        return suffixes.contains(String(suffix))
    }
}

/// Environment variable names as Kubernetes accepts them (C identifiers, plus `.` and `-`).
enum EnvVarName {
    static let pattern = #"^[-._a-zA-Z][-._a-zA-Z0-9]*$"#

    static func isValid(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || "-._".contains(first) else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) }
    }
}
