import JSONValue

/// `meta.k8s.io/v1 Table` answers for kubectl's human-readable output:
/// Name, the CRD's `additionalPrinterColumns` (else Age), and for Deployments
/// Ready/Up-to-date/Available like the real server. Other built-ins get
/// Name and Age.
struct TableView: Sendable {
    struct Column: Sendable {
        var name: String
        var type: String
        var format: String
        var jsonPath: String?
        var description: String
        var priority: Int64
        var render: (@Sendable (JSON) -> JSON)?
    }

    let columns: [Column]
    let now: Double

    static let nameColumn = Column(name: "Name", type: "string", format: "name", jsonPath: nil,
                                   description: "Name must be unique within a namespace.", priority: 0) { $0[path: "metadata", "name"] ?? "" }
    static let ageColumn = Column(name: "Age", type: "date", format: "", jsonPath: ".metadata.creationTimestamp",
                                  description: "CreationTimestamp is a timestamp representing the server time when this object was created.", priority: 0)

    init(type: ResourceType, now: Double) {
        self.now = now
        var columns = [Self.nameColumn]
        if type.storageKey == "events" && type.group.isEmpty {
            // kubectl get events: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE.
            columns = [
                Column(name: "Last Seen", type: "date", format: "", jsonPath: nil, description: "Time of the last occurrence", priority: 0) { o in
                    let text = o["lastTimestamp"]?.stringValue ?? o["eventTime"]?.stringValue ?? o[path: "metadata", "creationTimestamp"]?.stringValue
                    guard let text, let seconds = TableView.parse(text) else { return "<unknown>" }
                    return .string(TableView.humanDuration(now - seconds))
                },
                Column(name: "Type", type: "string", format: "", jsonPath: ".type", description: "Normal or Warning", priority: 0),
                Column(name: "Reason", type: "string", format: "", jsonPath: ".reason", description: "Why the event happened", priority: 0),
                Column(name: "Object", type: "string", format: "", jsonPath: nil, description: "The object it is about", priority: 0) { o in
                    .string("\((o[path: "involvedObject", "kind"]?.stringValue ?? "").lowercased())/\(o[path: "involvedObject", "name"]?.stringValue ?? "")")
                },
                Column(name: "Message", type: "string", format: "", jsonPath: ".message", description: "What happened", priority: 0),
                Column(name: "Name", type: "string", format: "name", jsonPath: ".metadata.name", description: "Event name", priority: 1),
            ]
        } else if let printer = type.printerColumns, !printer.isEmpty {
            for c in printer {
                columns.append(Column(name: c["name"]?.stringValue ?? "", type: c["type"]?.stringValue ?? "string",
                                      format: c["format"]?.stringValue ?? "", jsonPath: c["jsonPath"]?.stringValue,
                                      description: c["description"]?.stringValue ?? "", priority: c["priority"]?.intValue ?? 0))
            }
        } else {
            if type.storageKey == "deployments.apps" {
                columns.append(Column(name: "Ready", type: "string", format: "", jsonPath: nil, description: "Ready replicas / desired", priority: 0) { o in
                    .string("\(o[path: "status", "readyReplicas"]?.intValue ?? 0)/\(o[path: "spec", "replicas"]?.intValue ?? 1)")
                })
                columns.append(Column(name: "Up-to-date", type: "integer", format: "", jsonPath: nil, description: "Updated replicas", priority: 0) {
                    .int($0[path: "status", "updatedReplicas"]?.intValue ?? 0)
                })
                columns.append(Column(name: "Available", type: "integer", format: "", jsonPath: nil, description: "Available replicas", priority: 0) {
                    .int($0[path: "status", "availableReplicas"]?.intValue ?? 0)
                })
            }
            columns.append(Self.ageColumn)
        }
        self.columns = columns
    }

    var definitions: JSON {
        .array(columns.map { c in
            ["name": .string(c.name), "type": .string(c.type), "format": .string(c.format),
             "description": .string(c.description), "priority": .int(c.priority)]
        })
    }

    func row(_ object: JSON) -> JSON {
        let cells: [JSON] = columns.map { column in
            if let render = column.render { return render(object) }
            guard let path = column.jsonPath, let value = JSONPath.evaluate(path, object) else { return .null }
            switch column.type {
            case "date":
                guard let text = value.stringValue, let seconds = Self.parse(text) else { return .string("<unknown>") }
                return .string(Self.humanDuration(now - seconds))
            case "integer", "number", "boolean": return value
            default:
                if case .string = value { return value }
                return .string(value.serialized())
            }
        }
        var meta = JSONObject()
        for key in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp", "labels", "annotations", "deletionTimestamp"] {
            meta[key] = object[path: "metadata", key]
        }
        return ["cells": .array(cells),
                "object": ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": .object(meta)]]
    }

    func table(_ objects: [JSON], listMetadata: JSON) -> JSON {
        ["kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": listMetadata, "columnDefinitions": definitions,
         "rows": .array(objects.map(row))]
    }

    /// Like Kubernetes' `duration.HumanDuration`: 45s, 3m20s, 47m, 5h10m, 30h, 3d4h, 20d, 2y.
    static func humanDuration(_ seconds: Double) -> String {
        let s = Int(max(0, seconds))
        switch s {
        case ..<120: return "\(s)s"
        case ..<600: return s % 60 == 0 ? "\(s / 60)m" : "\(s / 60)m\(s % 60)s"
        case ..<(3 * 3600): return "\(s / 60)m"
        case ..<(8 * 3600): let m = (s / 60) % 60; return m == 0 ? "\(s / 3600)h" : "\(s / 3600)h\(m)m"
        case ..<(48 * 3600): return "\(s / 3600)h"
        case ..<(8 * 86_400): let h = (s / 3600) % 24; return h == 0 ? "\(s / 86_400)d" : "\(s / 86_400)d\(h)h"
        case ..<(2 * 365 * 86_400): return "\(s / 86_400)d"
        default: return "\(s / (365 * 86_400))y"
        }
    }

    /// Unix seconds of an RFC 3339 UTC timestamp (`2024-05-01T12:00:00Z`).
    static func parse(_ text: String) -> Double? {
        let digits = text.split(whereSeparator: { !$0.isNumber }).compactMap { Int64($0) }
        guard digits.count >= 6, text.hasSuffix("Z") else { return nil }
        let (y0, m, d) = (digits[0], digits[1], digits[2])
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Double(days * 86_400 + digits[3] * 3600 + digits[4] * 60 + digits[5])
    }
}

/// The subset of kubectl/CRD JSONPath used in printer columns: `.a.b`,
/// `.a[0]`, and `.a[?(@.k=="v")].b` (first match).
enum JSONPath {
    static func evaluate(_ path: String, _ object: JSON) -> JSON? {
        var current: JSON? = object
        var rest = Substring(path.hasPrefix("{") ? String(path.dropFirst().dropLast()) : path)
        while !rest.isEmpty, let value = current {
            if rest.hasPrefix(".") {
                rest = rest.dropFirst()
                let name = rest.prefix { $0 != "." && $0 != "[" }
                rest = rest.dropFirst(name.count)
                current = name.isEmpty ? value : value[String(name)]
            } else if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]") else { return nil }
                let inner = rest[rest.index(after: rest.startIndex)..<close]
                rest = rest[rest.index(after: close)...]
                if let index = Int(inner) {
                    current = value[index]
                } else if inner.hasPrefix("?(@."), inner.hasSuffix(")"), let eq = inner.range(of: "==") {
                    let key = String(inner[inner.index(inner.startIndex, offsetBy: 4)..<eq.lowerBound])
                    let wanted = String(inner[eq.upperBound...].dropLast()).trimmingCharacters(in: ["\"", "'"])
                    current = value.arrayValue?.first { item in
                        guard let v = item[key] else { return false }
                        return v.stringValue == wanted || v.serialized() == wanted
                    }
                } else {
                    return nil
                }
            } else {
                return nil
            }
        }
        return current
    }
}
