import JSONValue
import Rendering
import Rollout
import ServingAPI
import Testing

/// The candidate's Deployment and the per-version Services: disjoint from the
/// stable Deployment's pods, never scraped twice, and the predictor Service's
/// selector following the traffic split.
@Suite struct CanaryRendererTests {
    static func withCanary(_ canary: CanarySpec = CanarySpec(
        model: ModelSpec(name: "resnet50", uri: "pvc://models/resnet50/v2.onnx"), image: "registry/inference-server:v2",
        batching: BatchingSpec(maxBatchSize: 16))) -> InferenceService {
        var spec = cpuSpec()
        spec.canary = canary
        return service(name: "demo", namespace: "ml", spec)
    }

    static func labels(_ object: JSON, _ path: String...) -> JSONObject {
        var current: JSON? = object
        for key in path { current = current?[key] }
        return current?.objectValue ?? [:]
    }

    @Test func noCanaryRendersNothing() throws {
        #expect(try CanaryRenderer.render(service(name: "demo", namespace: "ml", cpuSpec()), replicas: 1) == nil)
        #expect(CanaryRenderer.candidateFingerprint(cpuSpec()) == nil)
    }

    @Test func theCandidateRunsItsOwnModelImageAndBatcherWithTheStablesOtherSettings() throws {
        let object = Self.withCanary()
        let canary = try #require(try CanaryRenderer.render(object, replicas: 2))
        let stable = try PredictorRenderer.render(object, replicas: 3, lastWarmedFingerprint: nil)
        #expect(canary.deployment[path: "metadata", "name"] == "demo-canary")
        #expect(canary.deployment[path: "spec", "replicas"] == 2)
        let container = try #require(canary.deployment[path: "spec", "template", "spec", "containers"]?[0])
        let stableContainer = try #require(stable.deployment[path: "spec", "template", "spec", "containers"]?[0])
        #expect(container["image"] == "registry/inference-server:v2")
        let args = container["args"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(args.contains("16"), "candidate batcher: \(args)")
        #expect(args.contains("--model-version") && args.contains(canary.candidate), "candidate series labelled with its fingerprint: \(args)")
        let stableArgs = stableContainer["args"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(!stableArgs.contains("--model-version"), "the stable pod template is unchanged by a canary: \(stableArgs)")
        #expect(container["resources"] == stableContainer["resources"], "resources not overridden: the stable's")
        let initArgs = canary.deployment[path: "spec", "template", "spec", "initContainers"]?[0]?["args"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(initArgs.contains { $0.contains("v2.onnx") }, "candidate model fetched: \(initArgs)")
        #expect(canary.deployment[path: "spec", "template", "metadata", "annotations", CanaryRenderer.candidateAnnotation] == .string(canary.candidate))
        #expect(canary.deployment[path: "metadata", "ownerReferences"] == stable.deployment[path: "metadata", "ownerReferences"])
    }

    /// Two Deployments whose selectors match each other's pods fight over
    /// them; each version's pods must match only its own Deployment.
    @Test func stableAndCandidateSelectorsMatchOnlyTheirOwnPods() throws {
        let object = Self.withCanary()
        let canary = try #require(try CanaryRenderer.render(object, replicas: 1))
        let stable = try PredictorRenderer.render(object, replicas: 2, lastWarmedFingerprint: nil)
        func matches(_ selector: JSONObject, _ labels: JSONObject) -> Bool { selector.allSatisfy { labels[$0.0] == $0.1 } }
        let stableSelector = Self.labels(stable.deployment, "spec", "selector", "matchLabels")
        let candidateSelector = Self.labels(canary.deployment, "spec", "selector", "matchLabels")
        let stablePods = Self.labels(stable.deployment, "spec", "template", "metadata", "labels")
        let candidatePods = Self.labels(canary.deployment, "spec", "template", "metadata", "labels")
        #expect(matches(stableSelector, stablePods) && !matches(stableSelector, candidatePods))
        #expect(matches(candidateSelector, candidatePods) && !matches(candidateSelector, stablePods))
        // The per-version Services select one version each.
        let candidateService = try #require(canary.candidateService)
        #expect(matches(Self.labels(candidateService, "spec", "selector"), candidatePods))
        #expect(!matches(Self.labels(candidateService, "spec", "selector"), stablePods))
        #expect(matches(Self.labels(canary.stableService, "spec", "selector"), stablePods))
        #expect(!matches(Self.labels(canary.stableService, "spec", "selector"), candidatePods))
        #expect(candidateService[path: "metadata", "name"] == "demo-canary")
        #expect(canary.stableService[path: "metadata", "name"] == "demo-stable")
    }

    @Test(arguments: [(TrafficSplit.Selection.stableOnly, true, false), (.both, true, true), (.candidateOnly, false, true)])
    func thePredictorServiceSelectsTheVersionsWithTraffic(selection: TrafficSplit.Selection, stable: Bool, candidate: Bool) throws {
        let object = Self.withCanary()
        let canary = try #require(try CanaryRenderer.render(object, replicas: 1))
        let stableRendered = try PredictorRenderer.render(object, replicas: 2, lastWarmedFingerprint: nil)
        let selector = CanaryRenderer.predictorSelector(instance: "demo", selection: selection)
        func matches(_ labels: JSONObject) -> Bool { selector.allSatisfy { labels[$0.0] == $0.1 } }
        #expect(matches(Self.labels(stableRendered.deployment, "spec", "template", "metadata", "labels")) == stable)
        #expect(matches(Self.labels(canary.deployment, "spec", "template", "metadata", "labels")) == candidate)
    }

    /// Prometheus finds targets through the predictor Service (scrape
    /// annotations, or the ServiceMonitor selecting its labels): the
    /// per-version Services carry neither, so no pod is scraped twice.
    @Test func perVersionServicesAreNeverScraped() throws {
        let object = Self.withCanary()
        let canary = try #require(try CanaryRenderer.render(object, replicas: 1))
        let monitor = try ServiceMonitorRenderer.render(object, labels: [:])
        let monitorSelector = Self.labels(monitor, "spec", "selector", "matchLabels")
        for versionService in [canary.candidateService, canary.stableService].compactMap({ $0 }) {
            #expect(versionService[path: "metadata", "annotations"] == nil)
            let labels = Self.labels(versionService, "metadata", "labels")
            #expect(!monitorSelector.allSatisfy { labels[$0.0] == $0.1 }, "\(labels)")
        }
    }

    @Test func theFingerprintFollowsThePodShapingFieldsOnly() {
        let base = Self.withCanary().spec
        var paused = base
        paused.canary?.paused = true
        paused.canary?.steps = [50, 100]
        paused.canary?.analysis.maxErrorRatio = 0.05
        #expect(CanaryRenderer.candidateFingerprint(paused) == CanaryRenderer.candidateFingerprint(base))
        var otherModel = base
        otherModel.canary?.model.uri = "pvc://models/resnet50/v3.onnx"
        #expect(CanaryRenderer.candidateFingerprint(otherModel) != CanaryRenderer.candidateFingerprint(base))
        var otherImage = base
        otherImage.canary?.image = "registry/inference-server:v3"
        #expect(CanaryRenderer.candidateFingerprint(otherImage) != CanaryRenderer.candidateFingerprint(base))
        var inherited = base
        inherited.canary?.image = nil
        var stableImageChanged = inherited
        stableImageChanged.image = "registry/inference-server:other"
        #expect(CanaryRenderer.candidateFingerprint(stableImageChanged) != CanaryRenderer.candidateFingerprint(inherited),
                "an inherited image is part of the candidate")
    }

    /// Every stable pod is started with the header route's target, canary or not, so a canary
    /// never restarts them; `headerRoute: false` leaves out the Service the route goes through.
    @Test func theHeaderRouteTargetsTheCandidatesServiceOnlyWhileItIsOn() throws {
        let plain = try PredictorRenderer.render(service(name: "demo", namespace: "ml", cpuSpec()), replicas: 2, lastWarmedFingerprint: nil)
        let withCanary = try PredictorRenderer.render(Self.withCanary(), replicas: 2, lastWarmedFingerprint: nil)
        let args = plain.deployment[path: "spec", "template", "spec", "containers"]?[0]?["args"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(args.suffix(2) == ["--canary-url", "http://demo-canary:80"], "\(args)")
        #expect(plain.deployment[path: "spec", "template"] == withCanary.deployment[path: "spec", "template"],
                "adding a canary leaves the stable pod template alone")
        let canary = try #require(try CanaryRenderer.render(Self.withCanary(), replicas: 1))
        let candidateArgs = canary.deployment[path: "spec", "template", "spec", "containers"]?[0]?["args"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(!candidateArgs.contains("--canary-url"), "the candidate forwards nothing")
        var off = Self.withCanary().spec.canary!
        off.headerRoute = false
        let withoutRoute = try #require(try CanaryRenderer.render(Self.withCanary(off), replicas: 1))
        // `.map` first: `JSON` is nil-literal expressible, so `== nil` would compare with JSON null.
        #expect(withoutRoute.candidateService.map { _ in true } == nil)
        #expect(withoutRoute.stableService[path: "metadata", "name"] == "demo-stable")
    }
}
