/// The events libyaml reads and writes, as plain Swift values. The
/// composer turns parsed events into `JSON`; the serializer turns `JSON`
/// into events for the emitter.
enum YAMLEvent: Equatable {
    case streamStart
    case streamEnd
    case documentStart(implicit: Bool)
    case documentEnd(implicit: Bool)
    case alias(anchor: String)
    case scalar(Scalar)
    case sequenceStart(anchor: String?, tag: String?, flow: Bool)
    case sequenceEnd
    case mappingStart(anchor: String?, tag: String?, flow: Bool)
    case mappingEnd

    struct Scalar: Equatable {
        var value: String
        var anchor: String? = nil
        /// The resolved tag (`!!int` arrives as `tag:yaml.org,2002:int`).
        var tag: String? = nil
        var style: ScalarStyle
    }
}

enum ScalarStyle: Equatable {
    case plain, singleQuoted, doubleQuoted, literal, folded
}

/// An event and the position where it starts.
struct PositionedEvent: Equatable {
    var event: YAMLEvent
    var mark: YAMLMark
}
