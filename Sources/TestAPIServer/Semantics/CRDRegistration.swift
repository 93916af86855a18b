import JSONValue

/// What applying a CustomResourceDefinition means: checks on its spec, the
/// status the server writes (accepted names, Established), and the resource
/// types it serves (one per served version).
enum CRDRegistration {
    /// Checks a CRD as `validation.ValidateCustomResourceDefinition` does (the
    /// parts listed in docs/test-apiserver.md), then writes what the server
    /// writes: accepted names and the `NamesAccepted`/`Established` conditions.
    static func accept(_ crd: JSON, existingTypes: [ResourceType], schemas: CRDSchemaValidation) throws(APIError) -> JSON {
        let name = crd[path: "metadata", "name"]?.stringValue ?? ""
        var errors: [FieldError] = []
        func require(_ value: String?, _ field: String) -> String {
            if value?.isEmpty ?? true { errors.append(.required(field)) }
            return value ?? ""
        }
        let group = require(crd[path: "spec", "group"]?.stringValue, "spec.group")
        let plural = require(crd[path: "spec", "names", "plural"]?.stringValue, "spec.names.plural")
        _ = require(crd[path: "spec", "names", "kind"]?.stringValue, "spec.names.kind")
        let scope = crd[path: "spec", "scope"]?.stringValue ?? ""
        if scope != "Namespaced" && scope != "Cluster" {
            errors.append(.notSupported("spec.scope", .string(scope), ["Cluster", "Namespaced"]))
        }
        if !plural.isEmpty && !group.isEmpty && name != "\(plural).\(group)" {
            errors.append(.invalid("metadata.name", .string(name), "must be spec.names.plural+\".\"+spec.group"))
        }
        let versions = crd[path: "spec", "versions"]?.arrayValue ?? []
        if versions.isEmpty {
            errors.append(.required("spec.versions", "must have exactly one version marked as storage version"))
        } else if versions.filter({ $0["storage"]?.boolValue == true }).count != 1 {
            errors.append(FieldError(.invalid, "spec.versions", .omitted, "must have exactly one version marked as storage version"))
        }
        for (i, version) in versions.enumerated() where version["name"]?.stringValue?.isEmpty ?? true {
            errors.append(.required("spec.versions[\(i)].name"))
        }
        if existingTypes.contains(where: { !$0.isCustom && $0.group == group && $0.plural == plural }) {
            errors.append(.invalid("spec.group", .string(group), "\(plural).\(group) is served by a built-in API"))
        }
        if errors.isEmpty { errors = schemas.validate(crd: crd) }
        guard errors.isEmpty else {
            throw APIError.invalid(kind: "CustomResourceDefinition", group: "apiextensions.k8s.io", name: name, errors: errors)
        }
        var accepted = crd
        let names = crd[path: "spec", "names"] ?? .object([:])
        var acceptedNames = names
        if acceptedNames["singular"] == nil, let kind = names["kind"]?.stringValue { acceptedNames["singular"] = .string(kind.lowercased()) }
        if acceptedNames["listKind"] == nil, let kind = names["kind"]?.stringValue { acceptedNames["listKind"] = .string(kind + "List") }
        let storage = versions.first { $0["storage"]?.boolValue == true }?["name"] ?? .null
        let conditions: [JSON] = ["NamesAccepted", "Established"].map { type in
            ["type": .string(type), "status": "True", "reason": type == "Established" ? "InitialNamesAccepted" : "NoConflicts",
             "message": type == "Established" ? "the initial names have been accepted" : "no conflicts found"]
        }
        accepted["status"] = ["acceptedNames": acceptedNames, "conditions": .array(conditions), "storedVersions": [storage]]
        return accepted
    }

    static func resourceTypes(of crd: JSON) -> [ResourceType] {
        guard let group = crd[path: "spec", "group"]?.stringValue, let plural = crd[path: "spec", "names", "plural"]?.stringValue,
              let kind = crd[path: "spec", "names", "kind"]?.stringValue else { return [] }
        let names = crd[path: "spec", "names"]
        let singular = names?["singular"]?.stringValue ?? kind.lowercased()
        let shortNames = names?["shortNames"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let categories = names?["categories"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let namespaced = crd[path: "spec", "scope"]?.stringValue != "Cluster"
        return (crd[path: "spec", "versions"]?.arrayValue ?? []).compactMap { version in
            guard let name = version["name"]?.stringValue, version["served"]?.boolValue != false else { return nil }
            let subresources = version["subresources"]
            var scale: ScaleMapping?
            if let s = subresources?["scale"], let spec = s["specReplicasPath"]?.stringValue,
               let status = s["statusReplicasPath"]?.stringValue {
                scale = ScaleMapping(specReplicasPath: spec, statusReplicasPath: status, labelSelectorPath: s["labelSelectorPath"]?.stringValue)
            }
            var type = ResourceType(group: group, version: name, plural: plural, singular: singular, kind: kind,
                                    namespaced: namespaced, shortNames: shortNames, categories: categories,
                                    hasStatus: subresources?["status"] != nil, scale: scale)
            type.isCustom = true
            type.schema = version[path: "schema", "openAPIV3Schema"]
            type.printerColumns = version["additionalPrinterColumns"]?.arrayValue
            return type
        }
    }
}
