import CEL
import Foundation
import JSONValue

extension Cluster {
    static let crdStorageKey = "customresourcedefinitions.apiextensions.k8s.io"

    // MARK: create

    public func create(_ type: ResourceType, namespace: String?, body: JSON, options: WriteOptions = WriteOptions()) throws(APIError) -> WriteResult {
        try locked { () throws(APIError) -> WriteResult in
            try createLocked(type, namespace: namespace, body: body, options: options)
        }
    }

    func createLocked(_ type: ResourceType, namespace: String?, body: JSON, options: WriteOptions,
                      applyManaged: Bool = false) throws(APIError) -> WriteResult {
        guard case .object = body else { throw APIError.badRequest("the request body must be a JSON object, got \(body.typeName)") }
        var object = body
        try checkKind(object, type)
        object["apiVersion"] = .string(type.groupVersion)
        object["kind"] = .string(type.kind)
        var meta = object["metadata"]?.objectValue ?? [:]
        if meta["name"]?.stringValue?.isEmpty ?? true, let prefix = meta["generateName"]?.stringValue, !prefix.isEmpty {
            meta["name"] = .string(prefix + Self.randomSuffix())
        }
        guard let name = meta["name"]?.stringValue, !name.isEmpty else {
            throw APIError.invalid(kind: type.kind, group: type.group, name: "",
                                   errors: [.required("metadata.name", "name or generateName is required")])
        }
        try Self.checkName(name, type)
        if type.namespaced {
            let bodyNamespace = meta["namespace"]?.stringValue
            guard let namespace, !namespace.isEmpty else { throw APIError.badRequest("a namespace is required to create \(type.plural)") }
            if let bodyNamespace, !bodyNamespace.isEmpty, bodyNamespace != namespace {
                throw APIError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            guard objects["namespaces"]?[ObjectKey(namespace: "", name: namespace)] != nil else {
                throw APIError.notFound("namespaces", group: "", name: namespace)
            }
            meta["namespace"] = .string(namespace)
        } else {
            meta["namespace"] = nil
        }
        let key = ObjectKey(namespace: type.namespaced ? (namespace ?? "") : "", name: name)
        if objects[type.storageKey]?[key] != nil { throw APIError.alreadyExists(type.plural, group: type.group, name: name) }
        meta["uid"] = .string(UUID().uuidString.lowercased())
        meta["creationTimestamp"] = .string(timestampLocked())
        meta["generation"] = 1
        meta["deletionTimestamp"] = nil
        meta["resourceVersion"] = nil
        if !applyManaged { meta["managedFields"] = nil }
        object["metadata"] = .object(meta)
        if type.hasStatus && type.storageKey != "namespaces" { object["status"] = nil }
        var warnings: [String] = []
        object = try prepareLocked(type, object, subresource: nil, options: options, warnings: &warnings)
        if !applyManaged {
            FieldOwnership.recordUpdate(old: nil, new: &object, manager: options.manager, apiVersion: type.groupVersion,
                                        subresource: nil, time: timestampLocked())
        }
        if options.dryRun { return WriteResult(object: object, code: 201, warnings: warnings) }
        object["metadata"]?["resourceVersion"] = .string(String(nextResourceVersionLocked()))
        storeLocked(type, key, object, eventType: "ADDED", previous: nil)
        afterWriteLocked(type, object)
        if !gc.pending.isEmpty { collectGarbageLocked() }
        return WriteResult(object: object, code: 201, warnings: warnings)
    }

    static func randomSuffix() -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String((0..<5).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }

    static func checkName(_ name: String, _ type: ResourceType) throws(APIError) {
        let ok = name.count <= 253 && name.allSatisfy { ($0.isLowercase && $0.isASCII) || $0.isNumber || $0 == "-" || $0 == "." }
            && name.first.map { $0.isLetter || $0.isNumber } == true && name.last.map { $0.isLetter || $0.isNumber } == true
        if !ok && type.storageKey != "clusterroles.rbac.authorization.k8s.io" && type.storageKey != "clusterrolebindings.rbac.authorization.k8s.io" {
            // apimachinery validation.IsDNS1123Subdomain's message.
            throw APIError.invalid(kind: type.kind, group: type.group, name: name, errors: [.invalid(
                "metadata.name", .string(name),
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")])
        }
    }

    func checkKind(_ object: JSON, _ type: ResourceType) throws(APIError) {
        if let kind = object["kind"]?.stringValue, !kind.isEmpty, kind != type.kind {
            throw APIError.badRequest("the kind \"\(kind)\" in the body does not match the resource \"\(type.plural)\" (kind \(type.kind))")
        }
        if let apiVersion = object["apiVersion"]?.stringValue, !apiVersion.isEmpty {
            let group = apiVersion.contains("/") ? String(apiVersion.split(separator: "/")[0]) : ""
            if group != type.group {
                throw APIError.badRequest("the API version in the data (\(apiVersion)) does not match the expected API version (\(type.groupVersion))")
            }
        }
    }

    /// Type-specific preparation of a new object state: CRD checks and
    /// status, custom-resource pruning, defaulting and validation.
    func prepareLocked(_ type: ResourceType, _ object: JSON, subresource: String?, options: WriteOptions,
                       warnings: inout [String]) throws(APIError) -> JSON {
        var object = object
        if type.storageKey == "secrets", object["type"]?.stringValue?.isEmpty ?? true {
            object["type"] = "Opaque"  // the API server's default for Secret.type
        }
        if type.storageKey == Self.crdStorageKey {
            object = try unknownCRDFieldsLocked(object, options: options, warnings: &warnings)
            if !configuration.validationRules { object = Self.withoutValidationRules(object) }
            object = try CRDRegistration.accept(object, existingTypes: types, schemas: schemaValidationLocked())
        }
        if type.isCustom, let schema = type.schema {
            object = try prepareCustomResourceLocked(type, object, schema: schema, subresource: subresource, options: options,
                                                     warnings: &warnings)
        }
        return object
    }

    /// A CRD's fields the configured release does not have: a 400 under
    /// `fieldValidation=Strict`, else dropped (with a warning under `Warn`,
    /// the default since 1.27), as a real server of that release decodes it.
    func unknownCRDFieldsLocked(_ crd: JSON, options: WriteOptions, warnings: inout [String]) throws(APIError) -> JSON {
        let version = configuration.kubernetesVersion
        let unknown = CRDTypedFields.unknownFields(in: crd, version: version)
        guard !unknown.isEmpty else { return crd }
        switch fieldValidation(options) {
        case "Strict":
            throw APIError.badRequest("CustomResourceDefinition in version \"v1\" cannot be handled as a CustomResourceDefinition: strict decoding error: "
                                      + unknown.map { "unknown field \"\($0)\"" }.joined(separator: ", "))
        case "Warn":
            warnings += unknown.map { "unknown field \"\($0)\"" }
        default:
            break
        }
        return CRDTypedFields.dropUnknownFields(in: crd, version: version)
    }

    /// The field validation a request gets: its `fieldValidation`, else the
    /// release's default (`Warn` from 1.27, when the feature went GA), and
    /// none at all before 1.25, when servers did not know the parameter.
    func fieldValidation(_ options: WriteOptions) -> String {
        let version = configuration.kubernetesVersion
        guard version.supports(.serverSideFieldValidation) else { return "Ignore" }
        return options.fieldValidation ?? (version >= KubernetesVersion(1, 27) ? "Warn" : "Ignore")
    }

    /// Pruning, defaulting top-down, schema validation, then the CEL rules on
    /// the defaulted object unless the schema errors block them (apiextensions
    /// `customResourceStrategy.Validate` and `hasBlockingErr`).
    func prepareCustomResourceLocked(_ type: ResourceType, _ object: JSON, schema: JSON, subresource: String?,
                                     options: WriteOptions, warnings: inout [String]) throws(APIError) -> JSON {
        var object = object
        let pruned = StructuralSchema.prune(&object, schema: schema)
        if !pruned.isEmpty {
            switch fieldValidation(options) {
            case "Strict":
                throw APIError.badRequest("\(type.kind) in version \"\(type.version)\" cannot be handled as a \(type.kind): strict decoding error: "
                                          + pruned.map { "unknown field \"\($0)\"" }.joined(separator: ", "))
            case "Warn":
                warnings += pruned.map { "unknown field \"\($0)\"" }
            default:
                break
            }
        }
        StructuralSchema.applyDefaults(&object, schema: schema)
        var errors = StructuralSchema.validate(object, schema: schema, messages: configuration.messages)
        if let scale = type.scale {
            let path = subresource == "status" ? scale.statusReplicasPath : scale.specReplicasPath
            errors += Self.scaleReplicasProblems(object, path: path)
        }
        if configuration.validationRules && Self.hasValidationRules(schema) {
            let blocking: Set<FieldError.Kind> = [.notSupported, .required, .tooLong, .tooMany, .typeInvalid]
            if errors.contains(where: { blocking.contains($0.kind) }) {
                if configuration.messages == .current {
                    errors.append(FieldError(.invalid, "", .json(.null),
                                             "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"))
                }
            } else {
                let cel = CELValidation(compile: compileRuleLocked, messages: configuration.messages)
                errors += cel.validate(object, schema: schema, path: "", isRoot: true)
            }
        }
        if !errors.isEmpty {
            throw APIError.invalid(kind: type.kind, group: type.group,
                                   name: object[path: "metadata", "name"]?.stringValue ?? "", errors: errors)
        }
        return object
    }

    /// The scale subresource's replicas field, checked as the custom resource
    /// validator's `ValidateScaleSpec`/`ValidateScaleStatus` do
    /// (`unstructured.NestedInt64` and its accessor error).
    static func scaleReplicasProblems(_ object: JSON, path: String) -> [FieldError] {
        let keys = path.split(separator: ".").map(String.init)
        var current: JSON? = object
        for key in keys { current = current?[key] }
        guard let value = current else { return [] }
        guard case .int(let replicas) = value else {
            let goType: String
            switch value {
            case .double: goType = "float64"
            case .string: goType = "string"
            case .bool: goType = "bool"
            case .array: goType = "[]interface {}"
            case .object: goType = "map[string]interface {}"
            case .null, .int: goType = "<nil>"
            }
            let shown: String
            switch value {
            case .string(let s): shown = s
            case .array, .object: shown = GoFormat.goSyntax(value)
            default: shown = GoFormat.display(value)
            }
            return [.invalid(path, .int(0), ".\(keys.joined(separator: ".")) accessor error: \(shown) is of the type \(goType), expected int64")]
        }
        if replicas < 0 { return [.invalid(path, value, "should be a non-negative integer")] }
        if replicas > Int64(Int32.max) { return [.invalid(path, value, "should be less than or equal to \(Int32.max)")] }
        return []
    }

    /// Whether any node declares rules (the server builds no CEL validator otherwise).
    static func hasValidationRules(_ schema: JSON) -> Bool {
        guard case .object(let node) = schema else { return false }
        if !(node["x-kubernetes-validations"]?.arrayValue?.isEmpty ?? true) { return true }
        if let properties = node["properties"]?.objectValue, properties.contains(where: { hasValidationRules($0.1) }) { return true }
        return [node["items"], node["additionalProperties"]].contains { $0.map(hasValidationRules) ?? false }
    }

    func schemaValidationLocked() -> CRDSchemaValidation {
        CRDSchemaValidation(compile: compileRuleLocked, messages: configuration.messages,
                            validationRules: configuration.validationRules, version: configuration.kubernetesVersion)
    }

    /// Compiles a rule once per (rule, node) until the next CRD write.
    func compileRuleLocked(_ rule: String, _ node: JSON, _ isRoot: Bool) -> Result<CELProgram, CELCompileError> {
        let key = RuleCacheKey(rule: rule, node: node, isRoot: isRoot)
        if let cached = compiledRules[key] { return cached }
        let result = Result { () throws(CELCompileError) -> CELProgram in try CELRule.compile(rule, selfSchema: node, isRoot: isRoot) }
        compiledRules[key] = result
        return result
    }

    /// A CRD with every `x-kubernetes-validations` removed: what a server with
    /// the rules' feature gate off stores (`dropDisabledFields`).
    static func withoutValidationRules(_ crd: JSON) -> JSON {
        func strip(_ node: JSON) -> JSON {
            guard case .object(var object) = node else { return node }
            object["x-kubernetes-validations"] = nil
            if let properties = object["properties"]?.objectValue {
                object["properties"] = .object(JSONObject(properties.map { ($0, strip($1)) }))
            }
            for key in ["items", "additionalProperties"] { if let child = object[key] { object[key] = strip(child) } }
            return .object(object)
        }
        guard var versions = crd[path: "spec", "versions"]?.arrayValue else { return crd }
        for i in versions.indices {
            if let schema = versions[i][path: "schema", "openAPIV3Schema"] {
                versions[i]["schema"]?["openAPIV3Schema"] = strip(schema)
            }
        }
        var copy = crd
        copy["spec"]?["versions"] = .array(versions)
        return copy
    }

    func afterWriteLocked(_ type: ResourceType, _ object: JSON) {
        if type.storageKey == Self.crdStorageKey {
            compiledRules.removeAll()
            let served = CRDRegistration.resourceTypes(of: object)
            let storageKey = served.first?.storageKey
            types.removeAll { $0.isCustom && $0.storageKey == storageKey }
            types.append(contentsOf: served)
        }
        if configuration.simulateDeployments && type.storageKey == "deployments.apps"
            && object[path: "metadata", "deletionTimestamp"] == nil {
            simulateDeploymentControllerLocked(type, object)
        }
    }

    // MARK: update

    /// `PUT` of the whole object, or of its `status` subresource.
    public func update(_ type: ResourceType, namespace: String?, name: String, body: JSON, subresource: String? = nil,
                       options: WriteOptions = WriteOptions()) throws(APIError) -> WriteResult {
        try locked { () throws(APIError) -> WriteResult in
            guard case .object = body else { throw APIError.badRequest("the request body must be a JSON object, got \(body.typeName)") }
            try checkKind(body, type)
            if let bodyName = body[path: "metadata", "name"]?.stringValue, bodyName != name {
                throw APIError.badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
            }
            let old = try getLocked(type, namespace: namespace, name: name)
            return try commitLocked(type, old: old, proposed: body, subresource: subresource, options: options, ownership: .update)
        }
    }

    enum Ownership { case update, apply(JSON) }

    /// Turns `proposed` into the next state of `old`: optimistic concurrency,
    /// status/main separation, immutable metadata, generation, managedFields,
    /// no-op detection, finalizer-completed deletion.
    func commitLocked(_ type: ResourceType, old: JSON, proposed: JSON, subresource: String?, options: WriteOptions,
                      ownership: Ownership) throws(APIError) -> WriteResult {
        let name = old[path: "metadata", "name"]?.stringValue ?? ""
        let oldRV = old[path: "metadata", "resourceVersion"]?.stringValue ?? ""
        if let rv = proposed[path: "metadata", "resourceVersion"]?.stringValue, !rv.isEmpty, rv != oldRV {
            throw APIError.conflict(type.plural, group: type.group, name: name)
        }
        var new: JSON
        if subresource == "status" {
            new = old
            new["status"] = proposed["status"]
        } else {
            new = proposed
            if type.hasStatus { new["status"] = old["status"] }
        }
        new["apiVersion"] = .string(type.groupVersion)
        new["kind"] = .string(type.kind)
        var meta = new["metadata"]?.objectValue ?? [:]
        let oldMeta = old["metadata"]?.objectValue ?? [:]
        for field in ["name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                      "generation", "managedFields", "resourceVersion"] {
            meta[field] = oldMeta[field]
        }
        new["metadata"] = .object(meta)
        var warnings: [String] = []
        new = try prepareLocked(type, new, subresource: subresource, options: options, warnings: &warnings)
        if Self.specChanged(old, new) {
            new["metadata"]?["generation"] = .int((oldMeta["generation"]?.intValue ?? 1) + 1)
        }
        let time = timestampLocked()
        switch ownership {
        case .update:
            FieldOwnership.recordUpdate(old: old, new: &new, manager: options.manager, apiVersion: type.groupVersion,
                                        subresource: subresource, time: time)
        case .apply(let managed):
            new["metadata"]?["managedFields"] = managed
        }
        if Self.withoutManagedFields(new).isEquivalent(to: Self.withoutManagedFields(old)) {
            return WriteResult(object: old, code: 200, warnings: warnings)
        }
        if options.dryRun { return WriteResult(object: new, code: 200, warnings: warnings) }
        let key = Self.key(of: old, namespaced: type.namespaced)
        new["metadata"]?["resourceVersion"] = .string(String(nextResourceVersionLocked()))
        storeLocked(type, key, new, eventType: "MODIFIED", previous: old)
        afterWriteLocked(type, new)
        if new[path: "metadata", "deletionTimestamp"] != nil,
           new[path: "metadata", "finalizers"]?.arrayValue?.isEmpty ?? true {
            removeLocked(type, key)
            collectGarbageLocked()
        } else if new[path: "metadata", "deletionTimestamp"] != nil || !gc.pending.isEmpty {
            collectGarbageLocked()
        }
        return WriteResult(object: new, code: 200, warnings: warnings)
    }

    static func withoutManagedFields(_ object: JSON) -> JSON {
        var copy = object
        copy["metadata"]?["managedFields"] = nil
        return copy
    }

    /// Everything but `metadata` and `status` counts as spec for `generation`.
    static func specChanged(_ old: JSON, _ new: JSON) -> Bool {
        func spec(_ o: JSON) -> JSON {
            var copy = o.objectValue ?? [:]
            for key in ["metadata", "status", "apiVersion", "kind"] { copy[key] = nil }
            return .object(copy)
        }
        return !spec(old).isEquivalent(to: spec(new))
    }

    // MARK: patch

    public func patch(_ type: ResourceType, namespace: String?, name: String, patchType: PatchType, body: JSON,
                      subresource: String? = nil, options: WriteOptions = WriteOptions()) throws(APIError) -> WriteResult {
        try locked { () throws(APIError) -> WriteResult in
            try patchLocked(type, namespace: namespace, name: name, patchType: patchType, body: body,
                            subresource: subresource, options: options)
        }
    }

    func patchLocked(_ type: ResourceType, namespace: String?, name: String, patchType: PatchType, body: JSON,
                     subresource: String?, options: WriteOptions) throws(APIError) -> WriteResult {
        let existing: JSON?
        do { existing = try getLocked(type, namespace: namespace, name: name) } catch let error where error.code == 404 {
            existing = nil
        }
        if patchType == .apply {
            return try applyLocked(type, namespace: namespace, name: name, config: body, existing: existing,
                                   subresource: subresource, options: options)
        }
        guard let old = existing else { throw APIError.notFound(type.plural, group: type.group, name: name) }
        let patched: JSON
        switch patchType {
        case .merge:
            guard case .object = body else { throw APIError.badRequest("merge patch body must be a JSON object") }
            patched = Patches.mergePatch(old, body)
        case .json:
            patched = try Patches.jsonPatch(old, body)
        case .strategic:
            guard !type.isCustom else {
                throw APIError.unsupportedMediaType("application/strategic-merge-patch+json is not supported for custom resources")
            }
            guard case .object = body else { throw APIError.badRequest("strategic merge patch body must be a JSON object") }
            patched = Patches.strategicMergePatch(old, body)
        case .apply:
            patched = old
        }
        guard case .object = patched else { throw APIError.badRequest("the patch turned the object into \(patched.typeName)") }
        if patched[path: "metadata", "name"]?.stringValue != name {
            throw APIError.badRequest("the name of the object cannot be changed by a patch")
        }
        return try commitLocked(type, old: old, proposed: patched, subresource: subresource, options: options, ownership: .update)
    }
}
