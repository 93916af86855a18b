import CEL
import Foundation
import JSONValue

/// `x-kubernetes-validations` rules evaluated on a value, walking the schema
/// with it as the API server's CEL validator does
/// (apiextensions-apiserver `pkg/apiserver/schema/cel/validation.go`,
/// `Validator.validate` → `validateExpressions`, `validateMap`, `validateArray`):
/// a node's rules run when the value has that node (null values are
/// skipped), then the walk goes on into the properties, map values and list
/// items the value holds.
///
/// Used twice: on the raw `default` of every schema node when a CRD is
/// written (`defaulting.validate`), and on each defaulted custom resource.
struct CELValidation {
    /// Compiles one rule of one node (cached by the caller).
    typealias Compile = (_ rule: String, _ node: JSON, _ isRoot: Bool) -> Result<CELProgram, CELCompileError>

    let compile: Compile
    let messages: StructuralSchema.Messages

    /// Errors of every rule the value reaches. `path` is the field path of
    /// `value` (`<nil>`/empty at a resource's root).
    func validate(_ value: JSON, schema: JSON, path: String, isRoot: Bool) -> [FieldError] {
        var errors: [FieldError] = []
        walk(value, schema, path, isRoot, &errors)
        return errors
    }

    private func walk(_ value: JSON, _ schema: JSON, _ path: String, _ isRoot: Bool, _ errors: inout [FieldError]) {
        if value.isNull { return }
        let rules = schema["x-kubernetes-validations"]?.arrayValue ?? []
        for rule in rules {
            guard let text = rule["rule"]?.stringValue, !text.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            errors += evaluate(rule, text, on: value, schema: schema, path: path, isRoot: isRoot)
        }
        switch value {
        case .object(let object):
            if let properties = schema["properties"]?.objectValue {
                for (key, child) in object {
                    if isRoot && (key == "metadata" || key == "apiVersion" || key == "kind") { continue }
                    if let childSchema = properties[key] { walk(child, childSchema, FieldError.child(path, key), false, &errors) }
                }
            } else if case .object = schema["additionalProperties"], let valueSchema = schema["additionalProperties"] {
                for (key, child) in object { walk(child, valueSchema, "\(path.isEmpty ? "<nil>" : path)[\(key)]", false, &errors) }
            }
        case .array(let items):
            if let itemSchema = schema["items"] {
                for (i, item) in items.enumerated() { walk(item, itemSchema, "\(path.isEmpty ? "<nil>" : path)[\(i)]", false, &errors) }
            }
        default:
            break
        }
    }

    /// One rule on one value (`validateExpressions`): an evaluation error and a
    /// false result are both field errors; `fieldPath` moves a false result's
    /// error to the field it names and `reason` chooses its kind.
    private func evaluate(_ rule: JSON, _ text: String, on value: JSON, schema: JSON, path: String,
                          isRoot: Bool) -> [FieldError] {
        let type = schema["type"]?.stringValue ?? ""
        // What the error shows of the value: the value itself before 1.24; now the
        // node's type, or nothing for a false object/array (field.OmitValueType).
        let typeValue: FieldError.BadValue = messages == .legacy ? .json(value) : .json(.string(type))
        let program: CELProgram
        switch compile(text, schema, isRoot) {
        case .success(let compiled): program = compiled
        case .failure(let failure):
            return [FieldError(.invalid, path, typeValue, "rule compile error: \(failure.apiServerDetail)")]
        }
        let message = Self.errorString(rule)
        switch program.validate(self: value) {
        case .failure(let error):
            if error.message.hasPrefix("no such overload") {
                return [FieldError(.invalid, path, typeValue,
                                   "'\(error.message)': call arguments did not match a supported operator, function or macro signature for rule: \(message)")]
            }
            return [FieldError(.invalid, path, typeValue, "\(error.message) evaluating rule: \(message)")]
        case .success(true):
            return []
        case .success(false):
            var field = path
            if let fieldPath = rule["fieldPath"]?.stringValue, !fieldPath.isEmpty {
                field = FieldError.child(path, String(fieldPath.drop { $0 == "." }))
            }
            let detail = Self.messageOrDefault(rule)
            let shown: FieldError.BadValue
            switch messages {
            case .legacy: shown = .json(value)
            case .current: shown = (type == "object" || type == "array") ? .omitted : .json(value)
            }
            switch rule["reason"]?.stringValue {
            case "FieldValueForbidden": return [FieldError(.forbidden, field, .omitted, detail)]
            case "FieldValueRequired": return [FieldError(.required, field, .omitted, detail)]
            case "FieldValueDuplicate": return [FieldError(.duplicate, field, shown)]
            default: return [FieldError(.invalid, field, shown, detail)]
            }
        }
    }

    /// `ruleErrorString`: the message, else the rule.
    static func errorString(_ rule: JSON) -> String {
        let message = (rule["message"]?.stringValue ?? "").trimmingCharacters(in: .whitespaces)
        return message.isEmpty ? (rule["rule"]?.stringValue ?? "").trimmingCharacters(in: .whitespaces) : message
    }

    /// `ruleMessageOrDefault`: the message, else `failed rule: <rule>`.
    static func messageOrDefault(_ rule: JSON) -> String {
        let message = (rule["message"]?.stringValue ?? "").trimmingCharacters(in: .whitespaces)
        return message.isEmpty ? "failed rule: \(errorString(rule))" : message
    }
}
