import KubeAPI
import Testing
@testable import ControllerRuntime

@Suite struct StoreTests {
    func cm(_ name: String, ns: String = "a", rv: String, owner: String? = nil, labels: [String: String]? = nil) -> ConfigMap {
        var meta = ObjectMeta(name: name, namespace: ns, labels: labels)
        meta.resourceVersion = rv
        if let owner { meta.ownerReferences = [OwnerReference(apiVersion: "v1", kind: "X", name: "o", uid: owner, controller: true)] }
        return ConfigMap(metadata: meta)
    }

    @Test func replaceEmitsAddsUpdatesAndMissedDeletes() {
        let store = Store<ConfigMap>()
        _ = store.replace(with: [cm("x", rv: "1"), cm("y", rv: "1"), cm("z", rv: "1")], scope: nil)
        let deltas = store.replace(with: [cm("x", rv: "1"), cm("y", rv: "5"), cm("w", rv: "6")], scope: nil)
        let summary = deltas.map { delta -> String in
            switch delta {
            case .added(let o): return "+\(o.name)"
            case .updated(let old, let new): return "~\(new.name)@\(old.metadata.resourceVersion!)->\(new.metadata.resourceVersion!)"
            case .deleted(let o): return "-\(o.name)"
            }
        }.sorted()
        #expect(summary == ["+w", "-z", "~y@1->5"])
        #expect(store.count == 3)
    }

    @Test func namespaceScopedReplaceLeavesOtherNamespacesAlone() {
        let store = Store<ConfigMap>()
        _ = store.replace(with: [cm("x", ns: "a", rv: "1"), cm("x", ns: "b", rv: "1")], scope: nil)
        let deltas = store.replace(with: [], scope: "a")
        #expect(deltas.count == 1)
        #expect(store.get(namespace: "b", name: "x") != nil)
        #expect(store.get(namespace: "a", name: "x") == nil)
    }

    @Test func indexesFollowUpdatesAndDeletes() {
        let store = Store<ConfigMap>()
        _ = store.upsert(cm("x", rv: "1", owner: "u1", labels: ["app": "m"]))
        _ = store.upsert(cm("y", rv: "1", owner: "u1"))
        #expect(store.owned(by: "u1").count == 2)
        #expect(store.list(label: "app", value: "m").map(\.name) == ["x"])
        _ = store.upsert(cm("x", rv: "2", owner: "u2", labels: ["app": "n"]))
        #expect(store.owned(by: "u1").map(\.name) == ["y"])
        #expect(store.list(label: "app", value: "m").isEmpty)
        #expect(store.list(label: "app", value: "n").map(\.name) == ["x"])
        _ = store.remove(cm("x", rv: "3"))
        #expect(store.owned(by: "u2").isEmpty)
        #expect(store.list(namespace: "a").map(\.name) == ["y"])
    }

    @Test func sameResourceVersionIsNotAChange() {
        let store = Store<ConfigMap>()
        #expect(store.upsert(cm("x", rv: "1")) != nil)
        #expect(store.upsert(cm("x", rv: "1")) == nil)
    }
}
