import Foundation
import JSONValue

/// Decodes the few protobuf request bodies kubectl's typed clients send
/// (`application/vnd.kubernetes.protobuf`): access reviews (`kubectl auth
/// can-i`) and `kubectl create namespace|configmap|secret|serviceaccount`.
/// Only the fields those commands set are read; answers stay JSON (kubectl
/// accepts both). Field numbers follow k8s.io/api's generated.proto:
/// - envelope: `k8s\0` + runtime.Unknown {typeMeta 1 {apiVersion 1, kind 2}, raw 2}
/// - ObjectMeta: name 1, generateName 2, namespace 3, labels 11, annotations 12, finalizers 14
/// - SelfSubjectAccessReview/SubjectAccessReview: spec 2 {resourceAttributes 1
///   {namespace 1, verb 2, group 3, version 4, resource 5, subresource 6, name 7},
///   nonResourceAttributes 2 {path 1, verb 2}, user 3, groups 4}
/// - SelfSubjectRulesReview: spec 2 {namespace 1}
/// - Namespace: metadata 1, spec 2 {finalizers 1}
/// - ConfigMap: metadata 1, data 2, binaryData 3, immutable 4
/// - Secret: metadata 1, data 2, type 3, stringData 4, immutable 5
/// - ServiceAccount: metadata 1, automountServiceAccountToken 4
enum ProtobufBodies {
    static let magic: [UInt8] = [0x6B, 0x38, 0x73, 0x00]

    enum Field {
        case bytes([UInt8])
        case varint(UInt64)
        var bytes: [UInt8]? { if case .bytes(let b) = self { return b } else { return nil } }
        var bool: Bool? { if case .varint(let v) = self { return v != 0 } else { return nil } }
    }

    typealias Message = [Int: [Field]]

    static func decode(_ body: [UInt8], kind: String) throws(APIError) -> JSON {
        guard body.count >= 4, Array(body.prefix(4)) == magic else {
            throw APIError.badRequest("protobuf body does not start with the k8s envelope")
        }
        let unknown = try message(body[4...])
        guard let raw = unknown[2]?.first?.bytes else { throw APIError.badRequest("protobuf envelope has no raw object") }
        let typeMeta = try unknown[1]?.first?.bytes.map { bytes throws(APIError) in try message(bytes[...]) } ?? [:]
        let object = try message(raw[...])
        var json: JSONObject = ["apiVersion": string(typeMeta, 1), "kind": string(typeMeta, 2)]
        if let meta = object[1]?.first?.bytes { json["metadata"] = try objectMeta(try message(meta[...])) }
        switch kind {
        case "SelfSubjectAccessReview", "SubjectAccessReview":
            json["metadata"] = .object([:])
            json["spec"] = try reviewSpec(object)
        case "SelfSubjectRulesReview":
            json["metadata"] = .object([:])
            if let spec = object[2]?.first?.bytes { json["spec"] = ["namespace": string(try message(spec[...]), 1)] }
        case "Namespace":
            if let spec = object[2]?.first?.bytes {
                json["spec"] = ["finalizers": .array((try message(spec[...]))[1]?.compactMap(\.bytes).map(text) ?? [])]
            }
        case "ConfigMap":
            if let data = try map(object[2]) { json["data"] = data }
            if let binary = try map(object[3], base64: true) { json["binaryData"] = binary }
            if let immutable = object[4]?.first?.bool { json["immutable"] = .bool(immutable) }
        case "Secret":
            if let data = try map(object[2], base64: true) { json["data"] = data }
            if object[3] != nil { json["type"] = string(object, 3) }
            if let stringData = try map(object[4]) { json["stringData"] = stringData }
            if let immutable = object[5]?.first?.bool { json["immutable"] = .bool(immutable) }
        case "ServiceAccount":
            if let automount = object[4]?.first?.bool { json["automountServiceAccountToken"] = .bool(automount) }
        default:
            throw APIError(code: 415, reason: "UnsupportedMediaType",
                           message: "the body of the request was in an unknown format - this test server reads protobuf only for access reviews, Namespaces, ConfigMaps, Secrets and ServiceAccounts; send application/json")
        }
        return .object(json)
    }

    static func text(_ bytes: [UInt8]) -> JSON { .string(String(decoding: bytes, as: UTF8.self)) }

    static func string(_ m: Message, _ n: Int) -> JSON { text(m[n]?.first?.bytes ?? []) }

    static func objectMeta(_ m: Message) throws(APIError) -> JSON {
        var meta = JSONObject()
        for (n, key) in [(1, "name"), (2, "generateName"), (3, "namespace")] where m[n] != nil { meta[key] = string(m, n) }
        if let labels = try map(m[11]) { meta["labels"] = labels }
        if let annotations = try map(m[12]) { meta["annotations"] = annotations }
        if let finalizers = m[14] { meta["finalizers"] = .array(finalizers.compactMap(\.bytes).map(text)) }
        return .object(meta)
    }

    static func reviewSpec(_ review: Message) throws(APIError) -> JSON {
        guard let specBytes = review[2]?.first?.bytes else { throw APIError.badRequest("access review has no spec") }
        let spec = try message(specBytes[...])
        var json = JSONObject()
        if let resource = spec[1]?.first?.bytes {
            let r = try message(resource[...])
            json["resourceAttributes"] = ["namespace": string(r, 1), "verb": string(r, 2), "group": string(r, 3),
                                          "version": string(r, 4), "resource": string(r, 5), "subresource": string(r, 6),
                                          "name": string(r, 7)]
        } else if let nonResource = spec[2]?.first?.bytes {
            let n = try message(nonResource[...])
            json["nonResourceAttributes"] = ["path": string(n, 1), "verb": string(n, 2)]
        }
        if spec[3] != nil { json["user"] = string(spec, 3) }
        if let groups = spec[4] { json["groups"] = .array(groups.compactMap(\.bytes).map(text)) }
        return .object(json)
    }

    /// A protobuf map field (repeated {key 1, value 2}) as a JSON object.
    static func map(_ entries: [Field]?, base64: Bool = false) throws(APIError) -> JSON? {
        guard let entries else { return nil }
        var out = JSONObject()
        for entry in entries {
            guard let bytes = entry.bytes else { continue }
            let m = try message(bytes[...])
            let key = String(decoding: m[1]?.first?.bytes ?? [], as: UTF8.self)
            let value = m[2]?.first?.bytes ?? []
            out[key] = base64 ? .string(Data(value).base64EncodedString()) : text(value)
        }
        return .object(out)
    }

    /// Fields by number: length-delimited and varint values (fixed-width skipped).
    static func message(_ bytes: ArraySlice<UInt8>) throws(APIError) -> Message {
        var out: Message = [:]
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
            case 0: out[number, default: []].append(.varint(try varint()))
            case 1, 5:
                let width = key & 7 == 1 ? 8 : 4
                guard bytes.endIndex - i >= width else { throw APIError.badRequest("truncated protobuf field \(number)") }
                i += width
            case 2:
                let length = try varint()
                guard length <= UInt64(bytes.endIndex - i) else { throw APIError.badRequest("truncated protobuf field \(number)") }
                let end = i + Int(length)
                out[number, default: []].append(.bytes(Array(bytes[i..<end])))
                i = end
            default: throw APIError.badRequest("unsupported protobuf wire type in field \(number)")
            }
        }
        return out
    }
}
