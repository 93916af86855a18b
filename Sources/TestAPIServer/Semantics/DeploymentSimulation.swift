import JSONValue

/// An optional stand-in for the Deployment controller (there are no pods):
/// after every Deployment write the status reports all desired replicas
/// updated, ready and available for the current generation, as a healthy
/// cluster would shortly after a rollout.
enum DeploymentSimulation {
    static func status(for deployment: JSON, time: String) -> JSON {
        let replicas = deployment[path: "spec", "replicas"]?.intValue ?? 1
        let generation = deployment[path: "metadata", "generation"]?.intValue ?? 1
        let previous = deployment[path: "status", "conditions"]?.arrayValue ?? []
        func condition(_ type: String, _ reason: String, _ message: String) -> JSON {
            let old = previous.first { $0["type"]?.stringValue == type }
            let since = old?["status"]?.stringValue == "True" ? (old?["lastTransitionTime"] ?? .string(time)) : .string(time)
            return ["type": .string(type), "status": "True", "lastUpdateTime": since, "lastTransitionTime": since,
                    "reason": .string(reason), "message": .string(message)]
        }
        let name = deployment[path: "metadata", "name"]?.stringValue ?? ""
        return ["observedGeneration": .int(generation), "replicas": .int(replicas), "updatedReplicas": .int(replicas),
                "readyReplicas": .int(replicas), "availableReplicas": .int(replicas),
                "conditions": [condition("Available", "MinimumReplicasAvailable", "Deployment has minimum availability."),
                               condition("Progressing", "NewReplicaSetAvailable", "ReplicaSet \"\(name)\" has successfully progressed.")]]
    }
}
