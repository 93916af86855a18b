"""A canary rollout and a rollback with real inference-server processes, counted at the clients.

Against a running test API server, Prometheus (file_sd on --targets) and operator, with
scripts/local_node.py playing kubelet and kube-proxy:

1. InferenceService `demo` serves model v1 (y = 2x) on --replicas replicas.
2. Rollout: spec.canary names v2 (y = 3x). Clients send open-loop Poisson traffic to the
   predictor Service (one connection per request, as many short-lived clients do), and
   every --header-every-th request carries `X-Canary: true`. Each answer says which
   version served it (2x or 3x). For every step, while the step's weight is in effect:
   the endpoints kube-proxy chose among (most connections' view) give the candidate the
   replica split's share (Rollout.TrafficSplit: within 1/(2T) of the weight inside its
   band), and the candidate's share of plain requests is the share of candidate
   endpoints those connections faced, within 4 standard deviations of sampling.
   Every X-Canary request sent once the first step is in
   effect must be answered by v2. The run must end Promoted with every plain request
   answered by v2.
3. The user adopts it (spec.model := v2, spec.canary removed), as docs/canary.md says.
4. Rollback: spec.canary names a slow candidate (v1's model with a 400 ms batching delay,
   against maxP95Ms 200). Measured: the time from its first step taking effect to
   RolledBack, and from RolledBack to the last answer the candidate gave a client.
5. Rollback: spec.canary names a candidate whose inputs changed (add.onnx wants x and y;
   the clients send x), so it answers 400 where the stable version answers 200. Its
   client errors, against the stable version's, roll it back.
Across all of it, every request must be answered 200 by one version or the other, except
the 400s the refusing candidate gave before its rollback (counted and reported).

Prints each step as it happens; writes OUT/report.json (figures and checks) and exits 1
when a check fails. `make demo` runs it with DEMO_CANARY=1; OperatorTests' canary
real-server test runs it with short steps and asserts on the report.
"""
import argparse
import http.client
import json
import math
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from local_node import Api, Node  # noqa: E402

NAMESPACE, NAME = "ml", "demo"
OBJECT = f"/apis/serving.swiftinfer.io/v1alpha1/namespaces/{NAMESPACE}/inferenceservices/{NAME}"
DEPLOYMENTS = f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments"
BODY = json.dumps({"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}).encode()
ANSWERS = {2.0: "2x", 3.0: "3x"}


def log(message):
    print(message, flush=True)


class Clients:
    """Open-loop Poisson requests to one local port, each on a new connection; every answer recorded."""

    def __init__(self, port, rate, header_every, seed=11):
        self.port = port
        self.rate = rate
        self.header_every = header_every
        self.rng = random.Random(seed)
        self.pool = ThreadPoolExecutor(max_workers=64)
        self.lock = threading.Lock()
        self.records = []  # (sent, done, header, status, answer)
        self.running = True

    def _send(self, sent, header):
        status, answer = 0, None
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            headers = {"Content-Type": "application/json"}
            if header:
                headers["X-Canary"] = "true"
            connection.request("POST", "/v2/models/scale/infer", BODY, headers)
            response = connection.getresponse()
            payload = response.read()
            status = response.status
            connection.close()
            if status == 200:
                answer = ANSWERS.get(json.loads(payload)["outputs"][0]["data"][0] / 1.0, "other")
        except Exception as e:
            answer = f"{type(e).__name__}"
        with self.lock:
            self.records.append((sent, time.time(), header, status, answer))

    def run(self):
        next_at = time.time()
        count = 0
        while self.running:
            next_at += self.rng.expovariate(self.rate)
            delay = next_at - time.time()
            if delay > 0:
                time.sleep(delay)
            elif delay < -1:
                next_at = time.time()
            count += 1
            try:
                self.pool.submit(self._send, next_at, self.header_every > 0 and count % self.header_every == 0)
            except RuntimeError:
                return

    def start(self):
        threading.Thread(target=self.run, daemon=True).start()
        return self

    def stop(self):
        self.running = False
        self.pool.shutdown(wait=True)

    def between(self, start, end, header=None):
        with self.lock:
            return [r for r in self.records if start <= r[0] < end and (header is None or r[2] == header)]


def split(total, weight):
    """Rollout.TrafficSplit.replicas: (candidate replicas, stable replicas, selection)."""
    total = max(1, total)
    if weight <= 0:
        return 0, total, "stable"
    if weight >= 100:
        return total, 1, "candidate"
    both = max(2, total)
    candidate = min(both - 1, max(1, int(math.floor(both * weight / 100 + 0.5))))
    return candidate, both - candidate, "both"


def share_bound(total, weight):
    """The replica split's share and |share − weight| (TrafficSplit.errorBound)."""
    candidate, stable, selection = split(total, weight)
    share = {"stable": 0.0, "candidate": 1.0}.get(selection, candidate / (candidate + stable))
    return share, abs(share - weight / 100)


def spec(model_uri, replicas, interval):
    return {"model": {"name": "scale", "uri": f"file://{model_uri}"},
            "replicas": {"min": replicas, "max": replicas, "manual": replicas},
            # The run is under test, not the autoscaler: Disabled keeps replicas.manual, split between versions.
            "autoscaling": {"mode": "Disabled", "intervalSeconds": interval},
            "warmup": {"enabled": False}}


def canary(model_uri, a, batching=None):
    c = {"model": {"name": "scale", "uri": f"file://{model_uri}"}, "steps": a.steps, "stepSeconds": a.step_seconds,
         "progressDeadlineSeconds": 120, "headerRoute": True,
         "analysis": {"maxP95Ms": 200, "maxErrorRatio": 0.01, "minRequests": a.min_requests}}
    if batching:
        c["batching"] = batching
    return c


class Watcher:
    """Polls status.canary and prints each change of phase, step or weight."""

    def __init__(self, api, start, previous=None):
        self.api = api
        self.start = start
        self.previous = previous  # an earlier run's candidate, whose status is not this run's
        self.timeline = []  # (time, phase, step, weight)
        self.last = None
        self.status = {}

    def poll(self):
        obj = self.api.get(OBJECT) or {}
        status = (obj.get("status") or {}).get("canary") or {}
        if self.previous is not None and status.get("candidate") == self.previous:
            status = {}
        self.status = status
        key = (status.get("phase"), status.get("step"), status.get("weight"))
        if status and key != self.last:
            self.last = key
            self.timeline.append((time.time(), *key))
            t = time.time() - self.start
            verdict = f" - {status['verdict']}" if status.get("verdict") and key[0] in ("RolledBack", "Aborted") else ""
            log(f"[{t:6.1f}s] canary {key[0]}, step {key[1]}, candidate weight {key[2]}%{verdict}")
        return status


def deployment(api, name):
    return api.get(f"{DEPLOYMENTS}/{name}") or {}


def rolled_out(api, name, replicas):
    d = deployment(api, name)
    s = d.get("status") or {}
    return (s.get("observedGeneration", -1) >= d.get("metadata", {}).get("generation", 0)
            and s.get("updatedReplicas") == replicas and s.get("readyReplicas") == replicas and s.get("replicas") == replicas)


def wait(condition, timeout, what, period=0.25):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(period)
    log(f"timed out after {timeout:.0f} s waiting for {what}")
    return False


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--api", required=True)
    p.add_argument("--server", required=True, help="inference-server binary")
    p.add_argument("--server-flag", action="append", default=[], help="local flag for the server containers (repeatable)")
    p.add_argument("--targets", required=True, help="Prometheus file_sd JSON file the node maintains")
    p.add_argument("--models", required=True, help="directory with scale.onnx (v1, 2x) and scale3.onnx (v2, 3x)")
    p.add_argument("--out", required=True)
    p.add_argument("--replicas", type=int, default=4)
    p.add_argument("--steps", default="25,50,100")
    p.add_argument("--step-seconds", type=int, default=20)
    p.add_argument("--min-requests", type=int, default=40)
    p.add_argument("--interval", type=int, default=2, help="autoscaling.intervalSeconds: how often the run is evaluated")
    p.add_argument("--rate", type=float, default=30, help="requests per second")
    p.add_argument("--header-every", type=int, default=10, help="every N-th request carries X-Canary: true")
    a = p.parse_args()
    a.steps = [int(s) for s in a.steps.split(",")]
    os.makedirs(a.out, exist_ok=True)
    api = Api(a.api)
    models = os.path.abspath(a.models)
    v1, v2 = os.path.join(models, "scale.onnx"), os.path.join(models, "scale3.onnx")
    node = Node(api, NAMESPACE, a.server, a.server_flag, a.targets, os.path.join(a.out, "node"), log=log).start()
    checks = []
    report = {"replicas": a.replicas, "steps": [], "checks": checks}

    def check(name, ok, detail):
        checks.append({"name": name, "ok": bool(ok), "detail": detail})
        log(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")

    clients = None
    try:
        obj = {"apiVersion": "serving.swiftinfer.io/v1alpha1", "kind": "InferenceService",
               "metadata": {"name": NAME, "namespace": NAMESPACE}, "spec": spec(v1, a.replicas, a.interval)}
        api.create(OBJECT.rsplit("/", 1)[0], obj)
        log(f"== {NAME}: model v1 (y = 2x) on {a.replicas} replicas")
        if not wait(lambda: rolled_out(api, f"{NAME}-predictor", a.replicas), 180, "the stable replicas"):
            conditions = ((api.get(OBJECT) or {}).get("status") or {}).get("conditions")
            log(f"{NAME}'s conditions: {json.dumps(conditions)}; pods: {json.dumps(node.state()['pods'])}")
            check("the stable version starts", False, "its replicas did not become ready")
            return 1
        port = node.proxy(f"{NAME}-predictor").port
        clients = Clients(port, a.rate, a.header_every).start()
        time.sleep(3)
        start = time.time()

        # 2. Rollout.
        log(f"== rollout: spec.canary = v2 (y = 3x), steps {a.steps}, {a.step_seconds} s healthy each, "
            f"{a.rate:g} req/s, every {a.header_every}th with X-Canary: true")
        api.merge_patch(OBJECT, {"spec": {"canary": canary(v2, a)}})
        rollout = Watcher(api, start)
        promoted = wait(lambda: rollout.poll().get("phase") in ("Promoted", "RolledBack", "Aborted")
                        and (rollout.status.get("phase") != "Promoted"
                             or (rolled_out(api, f"{NAME}-predictor", a.replicas)
                                 and deployment(api, f"{NAME}-canary").get("spec", {}).get("replicas") == 0)),
                        60 + len(a.steps) * (a.step_seconds + 40), "the rollout to end")
        rollout_end = time.time()
        check("the healthy candidate is promoted", promoted and rollout.status.get("phase") == "Promoted",
              f"phase {rollout.status.get('phase')}, verdict {rollout.status.get('verdict')}")
        # Each step's window: from its weight taking effect (+1 s for connections in flight) to the
        # next change of step or phase (the next step's replicas start being readied then).
        # Two checks per window. The operator's split: the endpoints kube-proxy chose among, by
        # Deployment, as most of the window's connections found them (the median connection, so
        # the seconds a step change takes at either edge do not count), give the candidate the
        # replica split's share. The clients' side: the share of plain requests v2 answered is
        # the share of candidate endpoints those connections faced, within 4 standard deviations
        # of sampling (the check runs in every CI run, two windows each: at 3 sigma one clean run
        # in about 200 would fail by chance alone; a misrouted version moves the share by far more).
        timeline = rollout.timeline
        first_effect = next((t for t, phase, step, weight in timeline if (weight or 0) > 0), None)
        proxy = node.proxy(f"{NAME}-predictor")
        for i, (t, phase, step, weight) in enumerate(timeline):
            # A window opens where a weight takes effect; an entry that only moves the step
            # starts readying the next step's replicas, and closes it.
            if phase != "Progressing" or not weight or (i > 0 and timeline[i - 1][3] == weight):
                continue
            end = timeline[i + 1][0] if i + 1 < len(timeline) else rollout_end
            plain = clients.between(t + 1, end, header=False)
            served = [r for r in plain if r[3] == 200]
            n = len(served)
            candidate = sum(1 for r in served if r[4] == "3x")
            expected, bound = share_bound(a.replicas, weight)
            share = candidate / n if n else float("nan")
            with proxy.picks_lock:
                faced = [sum(1 for d in deployments if d == f"{NAME}-canary") / len(deployments)
                         for when, deployments, _ in proxy.picks if t + 1 <= when < end]
            typical = statistics.median(faced) if faced else float("nan")
            mean_faced = statistics.fmean(faced) if faced else float("nan")
            sigma = math.sqrt(max(mean_faced * (1 - mean_faced), 0.25 / max(n, 1)) / max(n, 1))
            entry = {"step": step, "weight": weight, "seconds": round(end - t - 1, 1), "requests": n,
                     "candidate_share": round(share, 4), "replica_share": round(expected, 4),
                     "bound": round(bound, 4), "endpoint_share_median": round(typical, 4),
                     "endpoint_share_mean": round(mean_faced, 4), "connections": len(faced),
                     "sigma": round(sigma, 4)}
            report["steps"].append(entry)
            check(f"step {step} ({weight}%): the endpoints split as the replicas do",
                  len(faced) >= 20 and abs(typical - expected) < 1e-9,
                  f"the median connection of {len(faced)} found {typical:.3f} of the endpoints on v2 "
                  f"(mean {mean_faced:.3f}); weight {weight / 100:.2f}, replica split gives {expected:.3f} "
                  f"(|split - weight| {bound:.3f})")
            check(f"step {step} ({weight}%): clients' share as the endpoints they faced",
                  n >= 20 and abs(share - mean_faced) <= 4 * sigma,
                  f"{candidate}/{n} plain requests answered by v2 = {share:.3f}; the endpoints they faced "
                  f"{mean_faced:.3f} on v2; 4 sigma {4 * sigma:.3f}")
        if first_effect is not None:
            headed = [r for r in clients.between(first_effect, rollout_end, header=True) if r[3] == 200]
            routed = sum(1 for r in headed if r[4] == "3x")
            report["header"] = {"requests": len(headed), "candidate": routed}
            check("every X-Canary request reaches the candidate", headed and routed == len(headed),
                  f"{routed}/{len(headed)} answered by v2")
        time.sleep(3)
        after = [r for r in clients.between(rollout_end + 1, time.time()) if r[3] == 200]
        check("after promotion every request is answered by v2", after and all(r[4] == "3x" for r in after),
              f"{sum(1 for r in after if r[4] == '3x')}/{len(after)}")
        report["rollout_seconds"] = round(rollout_end - start, 1)
        # Each version's compute per request, read from the servers' own histograms: behind a
        # Gateway their ratio sizes the versions (same architecture here, so close to 1).
        signals = rollout.status.get("candidateSignals") or {}
        report["cost_ratio"] = rollout.status.get("costRatio")
        report["candidate_compute_ms_per_request"] = signals.get("computeMsPerRequest")
        log(f"   compute per request: candidate {signals.get('computeMsPerRequest')} ms; "
            f"cost ratio candidate/stable {rollout.status.get('costRatio')}")

        # 3. Adopt: spec.model := v2, spec.canary removed. The stable template does not change.
        def stable_pods():
            return {p["name"] for p in node.state()["pods"] if p["deployment"] == f"{NAME}-predictor" and not p["terminating"]}
        pods_before = stable_pods()
        api.merge_patch(OBJECT, {"spec": {"model": {"name": "scale", "uri": f"file://{v2}"}, "canary": None}})
        wait(lambda: deployment(api, f"{NAME}-canary") == {}, 30, "the candidate's Deployment to go")
        time.sleep(2)
        pods_after = stable_pods()
        log(f"== adopted: spec.model = v2, spec.canary removed; stable pods restarted: {len(pods_before - pods_after)}")
        report["adopt_restarted_pods"] = len(pods_before - pods_after)

        # 4. Rollback of a slow candidate.
        log("== rollback: spec.canary = v1's model with a 400 ms batching delay (p95 bound 200 ms)")
        second = time.time()
        api.merge_patch(OBJECT, {"spec": {"canary": canary(v1, a, {"maxBatchSize": 64, "maxQueueDelayMs": 400})}})
        rollback = Watcher(api, start, previous=rollout.status.get("candidate"))
        ended = wait(lambda: rollback.poll().get("phase") in ("RolledBack", "Promoted", "Aborted"),
                     60 + a.step_seconds * 2, "the slow candidate's verdict")
        rolled_back_at = time.time()
        check("the slow candidate is rolled back", ended and rollback.status.get("phase") == "RolledBack",
              f"phase {rollback.status.get('phase')}, verdict {rollback.status.get('verdict')}")
        effect = next((t for t, phase, step, weight in rollback.timeline if (weight or 0) > 0), None)
        wait(lambda: deployment(api, f"{NAME}-canary").get("spec", {}).get("replicas") == 0, 30, "the candidate at 0")
        time.sleep(4)
        candidate_answers = [r for r in clients.between(second, time.time()) if r[4] == "2x"]
        last_candidate = max((r[1] for r in candidate_answers), default=None)
        reached = None
        if effect is not None:
            # When the candidate had served minRequests: the analysis could decide from then on.
            served = sorted(r[1] for r in candidate_answers)
            if len(served) >= a.min_requests:
                reached = served[a.min_requests - 1]
        figures = {
            "verdict": rollback.status.get("verdict"),
            "effect_to_rolled_back_s": None if effect is None else round(rolled_back_at - effect, 2),
            "min_requests_to_rolled_back_s": None if reached is None else round(rolled_back_at - reached, 2),
            "rolled_back_to_last_candidate_answer_s": None if last_candidate is None else round(last_candidate - rolled_back_at, 2),
            "interval_s": a.interval,
        }
        report["rollback"] = figures
        log(f"   rollback: weight in effect -> RolledBack {figures['effect_to_rolled_back_s']} s; candidate's "
            f"{a.min_requests}th answer -> RolledBack {figures['min_requests_to_rolled_back_s']} s; "
            f"RolledBack -> its last answer at a client {figures['rolled_back_to_last_candidate_answer_s']} s")

        # 5. Rollback of a candidate that refuses the clients' requests.
        log("== rollback: spec.canary = a model with changed inputs (wants x and y; clients send x)")
        refusing_since = time.time()
        report["refusing_since"] = refusing_since
        api.merge_patch(OBJECT, {"spec": {"canary": canary(os.path.join(models, "add.onnx"), a)}})
        refusal = Watcher(api, start, previous=rollback.status.get("candidate"))
        ended = wait(lambda: refusal.poll().get("phase") in ("RolledBack", "Promoted", "Aborted"),
                     60 + a.step_seconds * 2, "the refusing candidate's verdict")
        check("the candidate that refuses requests is rolled back", ended and refusal.status.get("phase") == "RolledBack"
              and "client errors" in (refusal.status.get("verdict") or ""),
              f"phase {refusal.status.get('phase')}, verdict {refusal.status.get('verdict')}")
        refused_at = time.time()
        wait(lambda: deployment(api, f"{NAME}-canary").get("spec", {}).get("replicas") == 0, 30, "the candidate at 0")
        time.sleep(6)
        refused = [r for r in clients.between(refusing_since, time.time()) if r[3] == 400]
        first_refusal = min((r[1] for r in refused), default=None)
        report["refusal"] = {
            "verdict": refusal.status.get("verdict"), "refused_requests": len(refused),
            "first_refusal_to_rolled_back_s": None if first_refusal is None else round(refused_at - first_refusal, 2),
            "last_refusal_after_rolled_back_s": None if not refused else round(max(r[1] for r in refused) - refused_at, 2),
        }
        log(f"   refused before the rollback: {len(refused)} requests; first refusal -> RolledBack "
            f"{report['refusal']['first_refusal_to_rolled_back_s']} s")
    finally:
        if clients:
            clients.stop()
        records = clients.records if clients else []
        refusing_since = report.get("refusing_since", float("inf"))
        # The refusing candidate's 400s are what its rollback is about; anything else failed.
        failed = [r for r in records if r[3] != 200 and not (r[3] == 400 and r[0] >= refusing_since)]
        report["requests"] = len(records)
        report["failed"] = len(failed)
        report["failures"] = [{"t": round(r[0], 2), "status": r[3], "answer": r[4]} for r in failed[:20]]
        if clients:
            refused = sum(1 for r in records if r[3] == 400 and r[0] >= refusing_since)
            check("no request lost: every one answered 200 by one version or the other", not failed and records,
                  f"{len(records) - len(failed) - refused}/{len(records) - refused} answered 200 "
                  f"(besides {refused} refused by the candidate with changed inputs)")
        node.stop()
        with open(os.path.join(a.out, "report.json"), "w") as f:
            json.dump(report, f, indent=1)
    return 0 if checks and all(c["ok"] for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
