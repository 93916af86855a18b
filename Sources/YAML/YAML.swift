import JSONValue
import LargeStack

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
        try composed(text, limits: limits, single: true).first?.value ?? .null
    }

    /// Parses every document of a stream, in order. An empty document
    /// (e.g. between two `---`) is `.null`; callers applying manifests skip
    /// those, as kubectl does. Empty text has no documents.
    public static func parseAll(_ text: String, limits: YAMLLimits = .default) throws(YAMLError) -> [JSON] {
        try composed(text, limits: limits, single: false).map(\.value)
    }

    /// Documents with the positions of their values (for `YAMLDecoder`);
    /// with `single`, a second document is an error.
    static func parseWithPositions(
        _ text: String, limits: YAMLLimits, single: Bool
    ) throws(YAMLError) -> [(value: JSON, positions: SourcePositions)] {
        try composed(text, limits: limits, single: single, recordsPositions: true)
    }

    /// The composer recurses once per nesting level: shallow text is composed
    /// on the caller's stack, deeply nested text again on `LargeStack`.
    private static func composed(
        _ text: String, limits: YAMLLimits, single: Bool, recordsPositions: Bool = false
    ) throws(YAMLError) -> [(value: JSON, positions: SourcePositions)] {
        func compose(onLargeStack: Bool) -> Result<[(value: JSON, positions: SourcePositions)], YAMLError>? {
            var composer: Composer
            do throws(YAMLError) {
                composer = Composer(
                    parser: try LibYAML.Parser(text), limits: limits,
                    recordsPositions: recordsPositions, onLargeStack: onLargeStack)
            } catch {
                return .failure(error)
            }
            do throws(YAMLError) {
                let documents = try composer.documents(single: single)
                let positions = recordsPositions ? composer.positions : documents.map { _ in SourcePositions() }
                return .success(Array(zip(documents, positions)).map { (value: $0.0, positions: $0.1) })
            } catch {
                return composer.needsLargeStack ? nil : .failure(error)
            }
        }
        let result = compose(onLargeStack: false) ?? LargeStack.run { compose(onLargeStack: true)! }
        return try result.get()
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
