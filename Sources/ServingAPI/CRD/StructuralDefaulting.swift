import JSONValue

/// Applies a structural schema's `default`s to an object the way the API
/// server does for custom resources: for each object node, a missing
/// property with a default gets it, then defaulting descends into the
/// (possibly just defaulted) value, so `default: {}` objects pick up their
/// children's defaults. The test API server can use it to mimic defaulting.
public enum StructuralDefaulting {
    public static func apply(_ schema: JSON, to value: JSON) -> JSON {
        switch value {
        case .object(var object):
            if let properties = schema["properties"]?.objectValue {
                for (key, propertySchema) in properties {
                    if object[key] == nil || object[key]?.isNull == true, let defaultValue = propertySchema["default"] {
                        object[key] = defaultValue
                    }
                    if let present = object[key] {
                        object[key] = apply(propertySchema, to: present)
                    }
                }
            } else if let valueSchema = schema["additionalProperties"], valueSchema.objectValue != nil {
                for (key, item) in object { object[key] = apply(valueSchema, to: item) }
            }
            return .object(object)
        case .array(let items):
            guard let itemSchema = schema["items"] else { return value }
            return .array(items.map { apply(itemSchema, to: $0) })
        default:
            return value
        }
    }

    /// Defaults a whole InferenceService object with the CRD's schema.
    public static func applyInferenceServiceDefaults(to object: JSON) -> JSON {
        apply(InferenceServiceCRD.openAPIV3Schema, to: object)
    }
}
