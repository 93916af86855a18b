/// The parts of S3's XML answers we use: ListObjectsV2 results and error
/// bodies. A small scanner for these flat documents instead of an XML
/// library: elements are found by name, text is entity-decoded, anything
/// else (namespaces, unknown elements, whitespace) is ignored.
public struct S3Listing: Sendable, Hashable {
    public struct Object: Sendable, Hashable {
        public var key: String
        public var size: Int64
        public var etag: String?
    }

    public var objects: [Object]
    public var isTruncated: Bool
    public var nextContinuationToken: String?

    public static func parse(_ text: String) throws(S3ResponseError) -> S3Listing {
        guard text.contains("<ListBucketResult") else {
            throw S3ResponseError("the listing is not a ListBucketResult document")
        }
        var objects: [Object] = []
        for block in XMLScan.elements("Contents", in: text) {
            guard let key = XMLScan.elements("Key", in: block).first else { throw S3ResponseError("a listed object has no Key") }
            guard let sizeText = XMLScan.elements("Size", in: block).first, let size = Int64(sizeText.trimmed), size >= 0 else {
                throw S3ResponseError("listed object '\(key)' has no valid Size")
            }
            objects.append(Object(key: key, size: size, etag: XMLScan.elements("ETag", in: block).first))
        }
        let truncated = XMLScan.elements("IsTruncated", in: text).first?.trimmed.lowercased() == "true"
        let token = XMLScan.elements("NextContinuationToken", in: text).first
        if truncated, token?.isEmpty ?? true {
            throw S3ResponseError("the listing is truncated but carries no NextContinuationToken")
        }
        return S3Listing(objects: objects, isTruncated: truncated, nextContinuationToken: token)
    }
}

/// An S3 `<Error>` body: code and message only (other elements, such as
/// `StringToSign`, are never shown).
public struct S3ErrorBody: Sendable, Hashable {
    public var code: String
    public var message: String

    public static func parse(_ text: String) -> S3ErrorBody? {
        guard text.contains("<Error"), let code = XMLScan.elements("Code", in: text).first else { return nil }
        let message = XMLScan.elements("Message", in: text).first ?? ""
        return S3ErrorBody(code: String(code.prefix(100)), message: String(message.prefix(300)))
    }
}

public struct S3ResponseError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

enum XMLScan {
    /// The decoded text of every `<name>...</name>` (or empty `<name/>`) in
    /// document order, not nested in another element of the same name.
    static func elements(_ name: String, in text: String) -> [String] {
        var results: [String] = []
        var rest = text[...]
        let close = "</\(name)>"
        while let open = rest.firstRange(of: "<\(name)") {
            let afterName = rest[open.upperBound...]
            guard let first = afterName.first else { break }
            if first == "/" , afterName.dropFirst().first == ">" {
                results.append("")
                rest = afterName.dropFirst(2)
                continue
            }
            // `<Name>` or `<Name attr="...">`; anything else (`<NameOther>`) is another element.
            guard first == ">" || first == " " else { rest = afterName; continue }
            guard let tagEnd = afterName.firstIndex(of: ">") else { break }
            let content = afterName[afterName.index(after: tagEnd)...]
            guard let end = content.firstRange(of: close) else { break }
            results.append(decodeEntities(content[..<end.lowerBound]))
            rest = content[end.upperBound...]
        }
        return results
    }

    static func decodeEntities(_ text: Substring) -> String {
        guard text.contains("&") else { return String(text) }
        var out = ""
        var rest = text
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            guard let semi = after.prefix(12).firstIndex(of: ";") else {
                out += "&"
                rest = after
                continue
            }
            let entity = after[..<semi]
            var decoded: String?
            switch entity {
            case "amp": decoded = "&"
            case "lt": decoded = "<"
            case "gt": decoded = ">"
            case "quot": decoded = "\""
            case "apos": decoded = "'"
            default:
                if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                    decoded = UInt32(entity.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
                } else if entity.hasPrefix("#") {
                    decoded = UInt32(entity.dropFirst(), radix: 10).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
                }
            }
            if let decoded {
                out += decoded
                rest = after[after.index(after: semi)...]
            } else {
                out += "&"
                rest = after
            }
        }
        out += rest
        return out
    }
}

extension String {
    var trimmed: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
