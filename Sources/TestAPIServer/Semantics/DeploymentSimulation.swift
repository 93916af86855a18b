import JSONValue

/// An optional stand-in for the Deployment controller (there are no pods):
/// the status reports all desired replicas created and updated for the
/// current generation, and `ready` of them ready and available (all of them
/// once the simulated start-up delay has passed), as a healthy cluster would.
enum DeploymentSimulation {
    static func desiredReplicas(_ deployment: JSON) -> Int64 { deployment[path: "spec", "replicas"]?.intValue ?? 1 }

    /// Ready replicas right after a write: scale-downs at once, new replicas not yet.
    static func readyAfterWrite(_ deployment: JSON, delayed: Bool) -> Int64 {
        let desired = desiredReplicas(deployment)
        guard delayed else { return desired }
        return min(desired, deployment[path: "status", "readyReplicas"]?.intValue ?? 0)
    }

    static func status(for deployment: JSON, ready: Int64, time: String) -> JSON {
        let replicas = desiredReplicas(deployment)
        let generation = deployment[path: "metadata", "generation"]?.intValue ?? 1
        let previous = deployment[path: "status", "conditions"]?.arrayValue ?? []
        func condition(_ type: String, _ status: Bool, _ reason: String, _ message: String) -> JSON {
            let old = previous.first { $0["type"]?.stringValue == type }
            let value = status ? "True" : "False"
            let since = old?["status"]?.stringValue == value ? (old?["lastTransitionTime"] ?? .string(time)) : .string(time)
            return ["type": .string(type), "status": .string(value), "lastUpdateTime": since, "lastTransitionTime": since,
                    "reason": .string(reason), "message": .string(message)]
        }
        let name = deployment[path: "metadata", "name"]?.stringValue ?? ""
        let complete = ready >= replicas
        return ["observedGeneration": .int(generation), "replicas": .int(replicas), "updatedReplicas": .int(replicas),
                "readyReplicas": .int(ready), "availableReplicas": .int(ready),
                "conditions": [complete ? condition("Available", true, "MinimumReplicasAvailable", "Deployment has minimum availability.")
                                        : condition("Available", false, "MinimumReplicasUnavailable", "Deployment does not have minimum availability."),
                               condition("Progressing", true, complete ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
                                         complete ? "ReplicaSet \"\(name)\" has successfully progressed." : "ReplicaSet \"\(name)\" is progressing.")]]
    }
}
