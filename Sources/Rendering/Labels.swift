import JSONValue

/// The recommended `app.kubernetes.io` labels of everything rendered for one InferenceService.
public enum PredictorLabels {
    public static let name = "app.kubernetes.io/name"
    public static let instance = "app.kubernetes.io/instance"
    public static let component = "app.kubernetes.io/component"
    public static let managedBy = "app.kubernetes.io/managed-by"

    public static let appName = "inference-server"
    public static let componentName = "predictor"
    public static let manager = "inference-operator"

    /// The Deployment's selector. It never changes for an object (a
    /// Deployment's selector is immutable), so it holds no version or warmup label.
    public static func selector(instance: String, component: String = componentName) -> JSONObject {
        [name: .string(appName), Self.instance: .string(instance), Self.component: .string(component)]
    }

    /// The pods of every version of one object (the object's Service while a canary shares traffic by replicas).
    public static func anyVersion(instance: String) -> JSONObject {
        [name: .string(appName), Self.instance: .string(instance)]
    }

    public static func all(instance: String, component: String = componentName) -> JSONObject {
        var labels = selector(instance: instance, component: component)
        labels[managedBy] = .string(manager)
        return labels
    }

    /// `status.selector` for the scale subresource, e.g. for `kubectl scale` and HPA.
    public static func selectorString(instance: String) -> String {
        selector(instance: instance).map { "\($0.0)=\($0.1.stringValue ?? "")" }.joined(separator: ",")
    }
}
