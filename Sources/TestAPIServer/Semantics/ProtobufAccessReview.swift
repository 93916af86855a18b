import JSONValue

/// Decodes the one protobuf body kubectl sends us: an access review
/// (`kubectl auth can-i` posts SelfSubjectAccessReview as
/// `application/vnd.kubernetes.protobuf`). Only the fields the review needs
/// are read: the `k8s\0` envelope's `runtime.Unknown` (typeMeta 1, raw 2),
/// the review's spec (2) with resourceAttributes (1: namespace 1, verb 2,
/// group 3, version 4, resource 5, subresource 6, name 7) or
/// nonResourceAttributes (2: path 1, verb 2), and for SubjectAccessReview
/// the spec's user (3) and groups (4).
enum ProtobufAccessReview {
    static let magic: [UInt8] = [0x6B, 0x38, 0x73, 0x00]

    static func decode(_ bytes: [UInt8]) throws(APIError) -> JSON {
        guard bytes.count >= 4, Array(bytes.prefix(4)) == magic else {
            throw APIError.badRequest("protobuf body does not start with the k8s envelope")
        }
        let unknown = try fields(bytes[4...])
        guard let raw = unknown[2]?.first else { throw APIError.badRequest("protobuf envelope has no raw object") }
        var typeMeta: [Int: [[UInt8]]] = [:]
        if let meta = unknown[1]?.first { typeMeta = try fields(meta[...]) }
        let review = try fields(raw[...])
        guard let specBytes = review[2]?.first else { throw APIError.badRequest("access review has no spec") }
        let spec = try fields(specBytes[...])
        func string(_ f: [Int: [[UInt8]]], _ n: Int) -> JSON { .string(String(decoding: f[n]?.first ?? [], as: UTF8.self)) }
        var specJSON = JSONObject()
        if let resource = spec[1]?.first {
            let r = try fields(resource[...])
            specJSON["resourceAttributes"] = ["namespace": string(r, 1), "verb": string(r, 2), "group": string(r, 3),
                                              "version": string(r, 4), "resource": string(r, 5), "subresource": string(r, 6),
                                              "name": string(r, 7)]
        } else if let nonResource = spec[2]?.first {
            let n = try fields(nonResource[...])
            specJSON["nonResourceAttributes"] = ["path": string(n, 1), "verb": string(n, 2)]
        }
        if spec[3] != nil { specJSON["user"] = string(spec, 3) }
        if let groups = spec[4] { specJSON["groups"] = .array(groups.map { .string(String(decoding: $0, as: UTF8.self)) }) }
        return ["apiVersion": string(typeMeta, 1), "kind": string(typeMeta, 2), "metadata": .object([:]), "spec": .object(specJSON)]
    }

    /// Length-delimited fields by number (varint and fixed fields skipped).
    static func fields(_ bytes: ArraySlice<UInt8>) throws(APIError) -> [Int: [[UInt8]]] {
        var out: [Int: [[UInt8]]] = [:]
        var i = bytes.startIndex
        func varint() throws(APIError) -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard i < bytes.endIndex, shift < 64 else { throw APIError.badRequest("truncated protobuf varint") }
                let b = bytes[i]
                i += 1
                value |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { return value }
                shift += 7
            }
        }
        while i < bytes.endIndex {
            let key = try varint()
            let number = Int(key >> 3)
            switch key & 7 {
            case 0: _ = try varint()
            case 1: i += 8
            case 5: i += 4
            case 2:
                let length = try varint()
                guard length <= UInt64(bytes.endIndex - i) else { throw APIError.badRequest("truncated protobuf field \(number)") }
                let end = i + Int(length)
                out[number, default: []].append(Array(bytes[i..<end]))
                i = end
            default: throw APIError.badRequest("unsupported protobuf wire type in field \(number)")
            }
        }
        guard i == bytes.endIndex else { throw APIError.badRequest("truncated protobuf message") }
        return out
    }
}
