import JSONValue
import Testing
import YAML

@Suite struct KubernetesManifestTests {
    static let deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          labels: &labels
            app: web
            tier: "frontend"
          annotations:
            example.com/enabled: "yes"
            example.com/note: >-
              folded
              note
        spec:
          replicas: 3
          selector:
            matchLabels: *labels
          template:
            metadata:
              labels:
                <<: *labels
                version: "1.10"
            spec:
              containers:
                - name: web
                  image: nginx:1.25
                  args: ["--port", "8080", --verbose]
                  ports:
                    - containerPort: 8080
                      protocol: TCP
                  env:
                    - name: DEBUG
                      value: "false"
                    - name: MODE
                      value: on   # kubectl reads this as a boolean
                  resources:
                    limits: {cpu: 500m, memory: 1Gi}
                  command:
                    - /bin/sh
                    - -c
                    - |
                      echo start
                      exec nginx -g 'daemon off;'

        """

    @Test func deploymentParsesLikeKubectl() throws {
        let value = try YAML.parse(Self.deployment)
        #expect(value.objectValue?.keys == ["apiVersion", "kind", "metadata", "spec"])
        #expect(value[path: "metadata", "annotations", "example.com/enabled"] == "yes")
        #expect(value[path: "metadata", "annotations", "example.com/note"] == "folded note")
        #expect(value[path: "spec", "replicas"] == 3)
        #expect(value[path: "spec", "selector", "matchLabels"] == ["app": "web", "tier": "frontend"])
        #expect(value[path: "spec", "template", "metadata", "labels"] == [
            "app": "web", "tier": "frontend", "version": "1.10",
        ])
        let container = value[path: "spec", "template", "spec", "containers"]?[0]
        #expect(container?["args"] == ["--port", "8080", "--verbose"])
        #expect(container?["ports"] == [["containerPort": 8080, "protocol": "TCP"]])
        #expect(container?["env"] == [["name": "DEBUG", "value": "false"], ["name": "MODE", "value": true]])
        #expect(container?["resources"] == ["limits": ["cpu": "500m", "memory": "1Gi"]])
        #expect(container?["command"] == ["/bin/sh", "-c", "echo start\nexec nginx -g 'daemon off;'\n"])
    }

    @Test func deploymentRoundTripsThroughTheEmitter() throws {
        let value = try YAML.parse(Self.deployment)
        let text = YAML.emit(value)
        #expect(try YAML.parse(text) == value)
    }

    /// The emitter writes what kubectl would: block style, indentless
    /// sequences, aliases and merges expanded, ambiguous strings quoted.
    @Test func deploymentEmitsGoldenText() throws {
        let expected = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              labels:
                app: web
                tier: frontend
              annotations:
                example.com/enabled: "yes"
                example.com/note: folded note
            spec:
              replicas: 3
              selector:
                matchLabels:
                  app: web
                  tier: frontend
              template:
                metadata:
                  labels:
                    app: web
                    tier: frontend
                    version: "1.10"
                spec:
                  containers:
                  - name: web
                    image: nginx:1.25
                    args:
                    - --port
                    - "8080"
                    - --verbose
                    ports:
                    - containerPort: 8080
                      protocol: TCP
                    env:
                    - name: DEBUG
                      value: "false"
                    - name: MODE
                      value: true
                    resources:
                      limits:
                        cpu: 500m
                        memory: 1Gi
                    command:
                    - /bin/sh
                    - -c
                    - |
                      echo start
                      exec nginx -g 'daemon off;'

            """
        #expect(YAML.emit(try YAML.parse(Self.deployment)) == expected)
    }

    static let crd = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: inferenceservices.serving.swiftinfer.io
        spec:
          group: serving.swiftinfer.io
          names: {kind: InferenceService, plural: inferenceservices, shortNames: [infsvc]}
          scope: Namespaced
          versions:
            - name: v1alpha1
              served: true
              storage: true
              subresources:
                status: {}
                scale:
                  specReplicasPath: .spec.replicas
                  statusReplicasPath: .status.replicas
              schema:
                openAPIV3Schema:
                  type: object
                  properties:
                    spec:
                      type: object
                      required: [model]
                      properties:
                        model: {type: string, pattern: '^[a-z0-9-]+$'}
                        minReplicas: {type: integer, minimum: 0, default: 2}
                        targetUtilization: {type: number, default: 0.85}
                        scaling:
                          type: object
                          x-kubernetes-preserve-unknown-fields: true
                          properties:
                            enabled: {type: boolean, default: yes}
                            mode: {type: string, enum: ["on", "off", "auto"]}

        """

    @Test func crdSchemaKeepsNestedStructureAndTypes() throws {
        let value = try YAML.parse(Self.crd)
        let version = value[path: "spec", "versions"]?[0]
        #expect(version?[path: "subresources", "status"] == .object([:]))
        let spec = version?[path: "schema", "openAPIV3Schema", "properties", "spec"]
        #expect(spec?["required"] == ["model"])
        #expect(spec?[path: "properties", "model", "pattern"] == "^[a-z0-9-]+$")
        #expect(spec?[path: "properties", "minReplicas", "default"] == 2)
        #expect(spec?[path: "properties", "targetUtilization", "default"] == 0.85)
        #expect(spec?[path: "properties", "scaling", "x-kubernetes-preserve-unknown-fields"] == true)
        #expect(spec?[path: "properties", "scaling", "properties", "enabled", "default"] == true)
        #expect(spec?[path: "properties", "scaling", "properties", "mode", "enum"] == ["on", "off", "auto"])
        let emitted = YAML.emit(value)
        #expect(emitted.contains("- \"on\"\n"))
        #expect(try YAML.parse(emitted) == value)
    }

    @Test func multiDocumentManifestWithEmptyDocuments() throws {
        let text = """
            ---
            # leading separator and comment
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            ---
            ---
            # only a comment
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: cfg}
            data:
              enabled: "true"
              port: "8080"
            ...
            """
        let documents = try YAML.parseAll(text)
        #expect(documents.count == 4)
        #expect(documents.filter { !$0.isNull }.map { $0["kind"] } == ["Service", "ConfigMap"])
        #expect(documents[3][path: "data", "enabled"] == "true")
        let rewritten = YAML.emitAll(documents.filter { !$0.isNull })
        #expect(try YAML.parseAll(rewritten) == documents.filter { !$0.isNull })
    }
}
