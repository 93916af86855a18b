import JSONValue

extension Cluster {
    /// After a Deployment write: the status a healthy controller would report
    /// now, and when the new replicas will be ready.
    func simulateDeploymentControllerLocked(_ type: ResourceType, _ object: JSON) {
        let delay = configuration.deploymentReadyDelay
        let ready = DeploymentSimulation.readyAfterWrite(object, delayed: delay > 0)
        let key = Self.key(of: object, namespaced: true)
        if ready < DeploymentSimulation.desiredReplicas(object) {
            pendingReadiness[key] = configuration.now() + delay
        } else {
            pendingReadiness[key] = nil
        }
        writeSimulatedStatusLocked(type, object, ready: ready)
    }

    func writeSimulatedStatusLocked(_ type: ResourceType, _ object: JSON, ready: Int64) {
        let time = timestampLocked()
        let status = DeploymentSimulation.status(for: object, ready: ready, time: time)
        guard !(object["status"]?.isEquivalent(to: status) ?? false) else { return }
        var updated = object
        updated["status"] = status
        FieldOwnership.recordUpdate(old: object, new: &updated, manager: "deployment-controller", apiVersion: type.groupVersion,
                                    subresource: "status", time: time)
        updated["metadata"]?["resourceVersion"] = .string(String(nextResourceVersionLocked()))
        storeLocked(type, Self.key(of: object, namespaced: true), updated, eventType: "MODIFIED", previous: object)
    }

    /// Marks simulated replicas ready whose start-up delay has passed and
    /// finishes terminating Namespaces whose delay has passed (by the
    /// injected clock). The HTTP server calls this every 100 ms; tests on a
    /// manual clock call it directly.
    public func advanceSimulation() {
        lock.withLock {
            finishTerminatingNamespacesLocked()
            guard !pendingReadiness.isEmpty, let type = typeLocked(storageKey: "deployments.apps") else { return }
            let now = configuration.now()
            for (key, readyAt) in pendingReadiness where readyAt <= now {
                pendingReadiness[key] = nil
                guard let object = objects[type.storageKey]?[key] else { continue }
                writeSimulatedStatusLocked(type, object, ready: DeploymentSimulation.desiredReplicas(object))
            }
        }
    }
}
