import JSONValue

/// Reading and writing YAML through libyaml, with values as `JSON`.
///
/// Plain scalars resolve as kubectl reads them (YAML 1.1 habits, see
/// `ScalarResolver`); the emitter quotes every string that would read back
/// as something else, so `YAML.parse(YAML.emit(v)) == v` for every value
/// (NaN aside, which never equals itself).
public enum YAML {
    /// Parses text holding at most one document. Empty text (or only
    /// comments) is `.null`; a second document is an error.
    public static func parse(_ text: String, limits: YAMLLimits = .default) throws(YAMLError) -> JSON {
        var composer = Composer(parser: try LibYAML.Parser(text), limits: limits)
        return try composer.documents(single: true).first ?? .null
    }

    /// Parses every document of a stream, in order. An empty document
    /// (e.g. between two `---`) is `.null`; callers applying manifests skip
    /// those, as kubectl does. Empty text has no documents.
    public static func parseAll(_ text: String, limits: YAMLLimits = .default) throws(YAMLError) -> [JSON] {
        var composer = Composer(parser: try LibYAML.Parser(text), limits: limits)
        return try composer.documents()
    }

    /// Documents with the positions of their values (for `YAMLDecoder`);
    /// with `single`, a second document is an error.
    static func parseWithPositions(
        _ text: String, limits: YAMLLimits, single: Bool
    ) throws(YAMLError) -> [(value: JSON, positions: SourcePositions)] {
        var composer = Composer(parser: try LibYAML.Parser(text), limits: limits, recordsPositions: true)
        let documents = try composer.documents(single: single)
        return Array(zip(documents, composer.positions)).map { (value: $0.0, positions: $0.1) }
    }

    /// One document in block style, two-space indent, keys in stored order.
    public static func emit(_ value: JSON) -> String {
        emitAll([value])
    }

    /// Several documents separated by `---`; no documents give "".
    public static func emitAll(_ values: [JSON]) -> String {
        switch LibYAML.emit(Serializer.events(for: values)) {
        case .success(let text):
            return text
        case .failure:
            // Only a failed allocation inside libyaml gets here: the events
            // come from a valid JSON tree. JSON text is YAML too, and says the same.
            return values.map { $0.serialized() + "\n" }.joined(separator: "---\n")
        }
    }
}
