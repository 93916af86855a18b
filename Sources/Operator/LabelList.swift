#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Trimming

/// `key=value,key2=value2` as given to `--service-monitor-labels` (pure).
public enum LabelList {
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// Empty text is no labels; each item needs a non-empty key and an `=`.
    public static func parse(_ text: String) throws(ParseError) -> [String: String] {
        var labels: [String: String] = [:]
        for item in text.split(separator: ",").map({ $0.trimmingWhitespace() }) where !item.isEmpty {
            guard let equals = item.firstIndex(of: "=") else {
                throw ParseError(description: "label '\(item)' has no '=': expected key=value")
            }
            let key = String(item[..<equals]), value = String(item[item.index(after: equals)...])
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || "-_./".contains($0) }) else {
                throw ParseError(description: "label key '\(key)' is not a Kubernetes label key")
            }
            guard labels[key] == nil else { throw ParseError(description: "label '\(key)' given twice") }
            labels[key] = value
        }
        return labels
    }
}
