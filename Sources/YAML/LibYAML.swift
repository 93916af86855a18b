import CYAML

/// The one place that talks to libyaml's C API. Everything here turns
/// C events into `YAMLEvent` values (parsing) or `YAMLEvent` values into
/// text (emitting); no pointer leaves this file.
enum LibYAML {

    // MARK: Parsing

    /// Pulls events from libyaml one at a time, so a caller that stops early
    /// (too deep, a second document) never makes libyaml read the rest.
    final class Parser {
        private let parser: UnsafeMutablePointer<yaml_parser_t>
        private let input: UnsafeMutableBufferPointer<UInt8>
        private let inputCount: Int
        private var finished: Result<PositionedEvent, YAMLError>?

        init(_ text: String) throws(YAMLError) {
            var bytes = Array(text.utf8)
            inputCount = bytes.count
            bytes.append(0)  // a valid, non-null buffer even for empty input
            input = .allocate(capacity: bytes.count)
            _ = input.initialize(from: bytes)
            parser = .allocate(capacity: 1)
            guard yaml_parser_initialize(parser) != 0 else {
                input.deallocate()
                parser.deallocate()
                throw YAMLError("libyaml could not allocate a parser", at: .start)
            }
            yaml_parser_set_input_string(parser, input.baseAddress, inputCount)
        }

        deinit {
            yaml_parser_delete(parser)
            parser.deallocate()
            input.deallocate()
        }

        /// The next event; after `.streamEnd` or an error, that again.
        func next() throws(YAMLError) -> PositionedEvent {
            if let finished { return try finished.get() }
            var event = yaml_event_t()
            guard yaml_parser_parse(parser, &event) != 0 else {
                let error = LibYAML.parserError(parser.pointee, input: UnsafeBufferPointer(rebasing: input[..<inputCount]))
                finished = .failure(error)
                throw error
            }
            let converted = LibYAML.convert(event)
            yaml_event_delete(&event)
            guard let converted else {
                let error = YAMLError("libyaml returned no event", at: .start)
                finished = .failure(error)
                throw error
            }
            if converted.event == .streamEnd { finished = .success(converted) }
            return converted
        }
    }

    private static func convert(_ event: yaml_event_t) -> PositionedEvent? {
        let mark = YAMLMark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
        let converted: YAMLEvent
        switch event.type {
        case YAML_STREAM_START_EVENT:
            converted = .streamStart
        case YAML_STREAM_END_EVENT:
            converted = .streamEnd
        case YAML_DOCUMENT_START_EVENT:
            converted = .documentStart(implicit: event.data.document_start.implicit != 0)
        case YAML_DOCUMENT_END_EVENT:
            converted = .documentEnd(implicit: event.data.document_end.implicit != 0)
        case YAML_ALIAS_EVENT:
            converted = .alias(anchor: string(event.data.alias.anchor) ?? "")
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let value = scalar.value.map {
                String(decoding: UnsafeBufferPointer(start: $0, count: scalar.length), as: UTF8.self)
            } ?? ""
            converted = .scalar(YAMLEvent.Scalar(
                value: value, anchor: string(scalar.anchor), tag: string(scalar.tag), style: style(scalar.style)))
        case YAML_SEQUENCE_START_EVENT:
            let start = event.data.sequence_start
            converted = .sequenceStart(
                anchor: string(start.anchor), tag: string(start.tag), flow: start.style == YAML_FLOW_SEQUENCE_STYLE)
        case YAML_SEQUENCE_END_EVENT:
            converted = .sequenceEnd
        case YAML_MAPPING_START_EVENT:
            let start = event.data.mapping_start
            converted = .mappingStart(
                anchor: string(start.anchor), tag: string(start.tag), flow: start.style == YAML_FLOW_MAPPING_STYLE)
        case YAML_MAPPING_END_EVENT:
            converted = .mappingEnd
        default:
            return nil
        }
        return PositionedEvent(event: converted, mark: mark)
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    private static func style(_ style: yaml_scalar_style_t) -> ScalarStyle {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: return .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: return .literal
        case YAML_FOLDED_SCALAR_STYLE: return .folded
        default: return .plain
        }
    }

    private static func parserError(_ parser: yaml_parser_t, input: UnsafeBufferPointer<UInt8>) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown problem"
        switch parser.error {
        case YAML_MEMORY_ERROR:
            return YAMLError("libyaml ran out of memory", at: .start)
        case YAML_READER_ERROR:
            var message = problem
            if parser.problem_value >= 0 {
                message += " (character 0x\(String(parser.problem_value, radix: 16, uppercase: true)))"
            }
            return YAMLError(message, at: position(ofByte: parser.problem_offset, in: input))
        default:
            var message = problem
            let problemMark = mark(parser.problem_mark)
            if let context = parser.context {
                message += " (\(String(cString: context)) at \(mark(parser.context_mark)))"
            }
            if character(at: problemMark, in: input) == UInt8(ascii: "\t") {
                message += "; tabs cannot indent YAML, use spaces"
            }
            return YAMLError(message, at: problemMark)
        }
    }

    private static func mark(_ mark: yaml_mark_t) -> YAMLMark {
        YAMLMark(line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    /// Line and column (in Unicode scalars) of a byte offset, for reader
    /// errors, which libyaml reports as an offset only.
    private static func position(ofByte offset: Int, in input: UnsafeBufferPointer<UInt8>) -> YAMLMark {
        var mark = YAMLMark.start
        for byte in input.prefix(offset) {
            if byte == UInt8(ascii: "\n") {
                mark.line += 1
                mark.column = 1
            } else if byte & 0xC0 != 0x80 {
                mark.column += 1
            }
        }
        return mark
    }

    /// The byte at a line and column (in Unicode scalars), if there is one.
    private static func character(at mark: YAMLMark, in input: UnsafeBufferPointer<UInt8>) -> UInt8? {
        var current = YAMLMark.start
        for byte in input {
            if byte & 0xC0 == 0x80 { continue }
            if current == mark { return byte }
            if byte == UInt8(ascii: "\n") {
                current.line += 1
                current.column = 1
            } else {
                current.column += 1
            }
        }
        return nil
    }

    // MARK: Emitting

    /// Writes events (without anchors or tags) as YAML text: block style,
    /// two-space indent, no line folding, UTF-8 left unescaped.
    static func emit(_ events: [YAMLEvent]) -> Result<String, YAMLError> {
        let emitter = UnsafeMutablePointer<yaml_emitter_t>.allocate(capacity: 1)
        defer { emitter.deallocate() }
        guard yaml_emitter_initialize(emitter) != 0 else {
            return .failure(YAMLError("libyaml could not allocate an emitter", at: .start))
        }
        defer { yaml_emitter_delete(emitter) }

        let sink = OutputSink()
        let context = Unmanaged.passUnretained(sink).toOpaque()
        yaml_emitter_set_output(emitter, { data, buffer, size in
            guard let data else { return 0 }
            let sink = Unmanaged<OutputSink>.fromOpaque(data).takeUnretainedValue()
            if let buffer, size > 0 {
                sink.bytes.append(contentsOf: UnsafeBufferPointer(start: buffer, count: size))
            }
            return 1
        }, context)
        yaml_emitter_set_unicode(emitter, 1)
        yaml_emitter_set_indent(emitter, 2)
        yaml_emitter_set_width(emitter, -1)
        yaml_emitter_set_break(emitter, YAML_LN_BREAK)

        for event in events {
            var cEvent = yaml_event_t()
            guard initialize(&cEvent, from: event) else {
                return .failure(YAMLError("libyaml rejected event \(event)", at: .start))
            }
            guard yaml_emitter_emit(emitter, &cEvent) != 0 else {
                let problem = emitter.pointee.problem.map { String(cString: $0) } ?? "unknown problem"
                return .failure(YAMLError("libyaml emitter: \(problem)", at: .start))
            }
        }
        guard yaml_emitter_flush(emitter) != 0 else {
            return .failure(YAMLError("libyaml emitter could not flush its output", at: .start))
        }
        withExtendedLifetime(sink) {}
        return .success(String(decoding: sink.bytes, as: UTF8.self))
    }

    private final class OutputSink {
        var bytes: [UInt8] = []
    }

    private static func initialize(_ cEvent: inout yaml_event_t, from event: YAMLEvent) -> Bool {
        switch event {
        case .streamStart:
            return yaml_stream_start_event_initialize(&cEvent, YAML_UTF8_ENCODING) != 0
        case .streamEnd:
            return yaml_stream_end_event_initialize(&cEvent) != 0
        case .documentStart(let implicit):
            return yaml_document_start_event_initialize(&cEvent, nil, nil, nil, implicit ? 1 : 0) != 0
        case .documentEnd(let implicit):
            return yaml_document_end_event_initialize(&cEvent, implicit ? 1 : 0) != 0
        case .alias:
            return false  // the serializer expands values; it never emits aliases
        case .scalar(let scalar):
            var bytes = Array(scalar.value.utf8)
            let length = bytes.count
            guard length < Int(Int32.max) else { return false }
            bytes.append(0)
            return bytes.withUnsafeBufferPointer { buffer in
                yaml_scalar_event_initialize(
                    &cEvent, nil, nil, buffer.baseAddress, Int32(length), 1, 1, style(scalar.style)) != 0
            }
        case .sequenceStart(_, _, let flow):
            return yaml_sequence_start_event_initialize(
                &cEvent, nil, nil, 1, flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE) != 0
        case .sequenceEnd:
            return yaml_sequence_end_event_initialize(&cEvent) != 0
        case .mappingStart(_, _, let flow):
            return yaml_mapping_start_event_initialize(
                &cEvent, nil, nil, 1, flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE) != 0
        case .mappingEnd:
            return yaml_mapping_end_event_initialize(&cEvent) != 0
        }
    }

    private static func style(_ style: ScalarStyle) -> yaml_scalar_style_t {
        switch style {
        case .plain: return YAML_PLAIN_SCALAR_STYLE
        case .singleQuoted: return YAML_SINGLE_QUOTED_SCALAR_STYLE
        case .doubleQuoted: return YAML_DOUBLE_QUOTED_SCALAR_STYLE
        case .literal: return YAML_LITERAL_SCALAR_STYLE
        case .folded: return YAML_FOLDED_SCALAR_STYLE
        }
    }
}
