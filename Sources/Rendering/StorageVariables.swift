import JSONValue
import ServingAPI

/// The init container's variables for an `s3://` or `hf://` model: the
/// store's settings as literal values and the credentials as references to
/// the Secret named in `spec.model.storage.credentialsSecretRef`, so the
/// Deployment never holds a credential. The names are the ones the fetcher
/// reads (`ModelSource.StorageEnvironment`); without a Secret none are set
/// and the pod's own AWS_* / HF_TOKEN variables apply.
public enum StorageVariables {
    public struct Variable: Sendable, Hashable {
        public var name: String
        public var value: String?
        public var secretKey: SecretKey?

        var json: JSON {
            if let secretKey {
                var ref: JSONObject = ["name": .string(secretKey.secret), "key": .string(secretKey.key)]
                if secretKey.optional { ref["optional"] = true }
                return ["name": .string(name), "valueFrom": ["secretKeyRef": .object(ref)]]
            }
            return ["name": .string(name), "value": .string(value ?? "")]
        }
    }

    /// A `valueFrom.secretKeyRef`.
    public struct SecretKey: Sendable, Hashable {
        public var secret: String
        public var key: String
        public var optional: Bool
    }

    /// Keys of the credentials Secret.
    public static let accessKeyIDKey = "accessKeyId"
    public static let secretAccessKeyKey = "secretAccessKey"
    public static let sessionTokenKey = "sessionToken"
    public static let hubTokenKey = "token"

    public static func variables(_ storage: ModelStorageSpec?, for uri: ModelURI) -> [Variable] {
        guard uri.usesStorageSettings, let storage else { return [] }
        var variables: [Variable] = []
        if let endpoint = storage.endpoint { variables.append(Variable(name: "MODEL_STORAGE_ENDPOINT", value: endpoint)) }
        if case .s3 = uri {
            if let region = storage.region { variables.append(Variable(name: "MODEL_STORAGE_REGION", value: region)) }
            if let pathStyle = storage.pathStyle { variables.append(Variable(name: "MODEL_STORAGE_PATH_STYLE", value: pathStyle ? "true" : "false")) }
        }
        guard let secret = storage.credentialsSecretRef?.name else { return variables }
        switch uri {
        case .s3:
            variables.append(Variable(name: "AWS_ACCESS_KEY_ID", secretKey: SecretKey(secret: secret, key: accessKeyIDKey, optional: false)))
            variables.append(Variable(name: "AWS_SECRET_ACCESS_KEY", secretKey: SecretKey(secret: secret, key: secretAccessKeyKey, optional: false)))
            variables.append(Variable(name: "AWS_SESSION_TOKEN", secretKey: SecretKey(secret: secret, key: sessionTokenKey, optional: true)))
        case .huggingFace:
            variables.append(Variable(name: "HF_TOKEN", secretKey: SecretKey(secret: secret, key: hubTokenKey, optional: false)))
        case .pvc, .http, .file:
            break
        }
        return variables
    }
}
