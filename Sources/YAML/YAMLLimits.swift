/// Limits that keep hostile YAML from exhausting the stack or memory.
public struct YAMLLimits: Sendable, Equatable {
    /// Deepest nesting of sequences and mappings, counting values reached
    /// through aliases. 512, as `JSON.parse` in JSONValue, so every value we
    /// return can be serialized and decoded again.
    public var maxDepth: Int
    /// Most nodes that aliases may add to one parse call in total (each
    /// `*alias` adds the size of the value it repeats). Caps "billion laughs"
    /// style alias bombs; a million is far above any real manifest.
    public var maxAliasedNodes: Int

    public init(maxDepth: Int = 512, maxAliasedNodes: Int = 1_000_000) {
        self.maxDepth = maxDepth
        self.maxAliasedNodes = maxAliasedNodes
    }

    public static let `default` = YAMLLimits()
}
