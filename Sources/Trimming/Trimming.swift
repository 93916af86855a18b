/// Whitespace trimming without Foundation: the operator's modules import only
/// FoundationEssentials, which has no `CharacterSet` or `trimmingCharacters(in:)`
/// (Foundation itself would bring ICU's 38 MB of data into the binary).
extension StringProtocol {
    /// The text without leading and trailing whitespace and newlines (`Character.isWhitespace`,
    /// as `trimmingCharacters(in: .whitespacesAndNewlines)`).
    public func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }) else { return "" }
        let last = lastIndex(where: { !$0.isWhitespace }) ?? first
        return String(self[first...last])
    }
}
