"""One machine playing the kubelet and kube-proxy for one namespace of the test API server.

The test API server stores objects; nothing runs them. This module does, with real
processes, so that what the operator writes is exercised as a cluster would:

- kubelet: every Deployment's pods are started from the pod template itself, and each
  is a Pod object in the API server whose status (phase, Ready, init container and
  container states, restart counts, an init container's termination message: what it
  wrote to its `terminationMessagePath` (a file per pod and container here, swapped into
  its arguments), else for a failed one the tail of its output, as `FallbackToLogsOnError`
  gives) the node keeps current. A
  failing init container is restarted with a doubling back-off capped at 10 s
  (CrashLoopBackOff; the kubelet caps it at 5 min). Its init containers run first,
  then its first container, each as the template's command and args, with what only a node has swapped in: the model volume's mount path becomes a
  directory per pod, the container port a free local port, and a Service URL
  (http://NAME:PORT) the local port of that Service's proxy (cluster DNS). Extra local
  flags (--http-host, --ort-library, ...) are appended to the server container.
  Each container's `env` is set as the kubelet sets it: `value`s (a path under the model
  mount made local), `valueFrom.secretKeyRef` read from the Secret (a missing required
  key or Secret keeps the container from starting, CreateContainerConfigError, retried);
  the node's own AWS_*, MODEL_* and HF_* variables are not passed on.
- EKS pod identity webhook (IRSA): a pod whose ServiceAccount carries
  `eks.amazonaws.com/role-arn` gets AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE (a token
  file the node writes) and AWS_STS_REGIONAL_ENDPOINTS, as the webhook adds them at
  admission, unless the container sets them itself.
  Readiness is the template's readiness probe path, polled. A template change rolls out
  as `RollingUpdate` with maxSurge 1 and maxUnavailable 0 (what the operator renders):
  a new pod starts, and an old one goes once the ready pods would still cover the
  wanted count. The Deployment's status (replicas, updated, ready, available,
  observedGeneration) is written back, as the Deployment controller would.
- pod termination: SIGTERM, while the pod stays in its Services' endpoints for
  `endpoint_lag` seconds more (endpoint removal reaches kube-proxy after the kubelet
  has signalled the pod, in that order or the other: here always the worse one), so
  a server that stops listening at once loses requests, as it would in a cluster.
- kube-proxy: every Service name gets a local TCP proxy. Each connection goes to one
  ready endpoint chosen at random among the pods the Service's selector matches (as
  kube-proxy's iptables mode does); with no Service or no endpoint the connection is
  reset (a real client sees it refused).
- endpoints controller: every Service with a selector has an Endpoints object of the
  same name and labels: the pods kube-proxy sends to as `addresses`, running pods that
  are not ready as `notReadyAddresses`, each with a Pod targetRef and the Service's port
  names resolved to the pod's port (one subset per pod: here every pod has its own
  port). Pod objects carry `status.podIP` 127.0.0.1 and their server container port as
  the local port, so Prometheus' kubernetes SD (scripts/servicemonitor_scrape.py)
  finds what it would find in a cluster.
- Prometheus: every running, ready-once pod of the namespace is a file_sd target with
  the labels the operator's queries group by (namespace, service = the object's
  predictor Service) plus pod; it stays listed until its process exits.

`state()` gives each Service's proxy port, for clients; `python local_node.py --help`
runs it on its own.
"""
import argparse
import base64
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request


class Api:
    """JSON over HTTP to the test API server (no auth: it takes any client on loopback).
    scripts/demo_driver.py uses it too, with its own user agent."""

    def __init__(self, base, user_agent="local-node/1", timeout=10):
        self.base = base.rstrip("/")
        self.user_agent = user_agent
        self.timeout = timeout

    def _call(self, method, path, body=None, content_type="application/json"):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": content_type, "User-Agent": self.user_agent})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            return json.loads(response.read() or b"null")

    def get(self, path):
        try:
            return self._call("GET", path)
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return None
            raise

    def merge_patch(self, path, body):
        return self._call("PATCH", path, body, "application/merge-patch+json")

    def create(self, collection, body):
        return self._call("POST", collection, body)

    def replace(self, path, body):
        """PUT without a resourceVersion: an unconditional update (what core kinds allow)."""
        return self._call("PUT", path, body)

    def delete(self, path):
        return self._call("DELETE", path)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


class ContainerConfigError(Exception):
    """A container the kubelet cannot configure (a missing Secret or key)."""


class Pod:
    def __init__(self, name, deployment, revision, template, directory, log_dir):
        self.name = name
        self.deployment = deployment
        self.revision = revision
        self.labels = template.get("metadata", {}).get("labels", {}) or {}
        self.template = template
        self.directory = directory
        self.log_path = os.path.join(log_dir, f"{name}.log")
        self.port = free_port()
        self.process = None
        self.failed = None       # why the pod cannot run (its init container failed, ...)
        self.ready = False       # passes its readiness probe (and is not terminating)
        self.init_restarts = 0
        self.init_state = {"waiting": {"reason": "PodInitializing"}}
        self.init_last_state = None
        self.published = None    # the status last written to the API server
        self.terminating_at = None
        self.started = time.time()
        self.ready_after = None  # seconds from creation to first ready
        self.injected_env = {}   # what an admission webhook added (IRSA)

    def in_endpoints(self, lag):
        """Whether kube-proxy still sends connections here."""
        if self.terminating_at is not None:
            return time.time() - self.terminating_at < lag and self.process is not None and self.process.poll() is None
        return self.ready

    def exited(self):
        return self.process is not None and self.process.poll() is not None


class ServiceProxy:
    """kube-proxy for one Service name: one random ready endpoint per connection.

    Every connection is recorded in `picks` as (time, Deployments of the endpoints it
    chose among, the chosen one's Deployment), so a scenario can tell the split the
    clients faced from the split they got."""

    def __init__(self, name, endpoints):
        self.name = name
        self.endpoints = endpoints  # callable: (port, Deployment) of the Service's endpoints now
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(256)
        self.port = self.listener.getsockname()[1]
        self.rng = random.Random(hash(name) & 0xFFFF)
        self.connections = 0
        self.picks = []
        self.picks_lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        endpoints = self.endpoints()
        upstream = None
        if endpoints:
            port, deployment = self.rng.choice(endpoints)
            with self.picks_lock:
                self.picks.append((time.time(), tuple(d for _, d in endpoints), deployment))
            try:
                upstream = socket.create_connection(("127.0.0.1", port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                upstream = None
        if upstream is None:
            # No endpoint: reset the connection (SO_LINGER 0), as a refused one looks to a client.
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            client.close()
            return
        self.connections += 1

        def pump(source, sink):
            try:
                while True:
                    data = source.recv(65536)
                    if not data:
                        break
                    sink.sendall(data)
            except OSError:
                pass
            for s in (sink,):
                try:
                    s.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

        back = threading.Thread(target=pump, args=(upstream, client), daemon=True)
        back.start()
        pump(client, upstream)
        back.join()
        client.close()
        upstream.close()

    def close(self):
        self.listener.close()


class Node:
    def __init__(self, api, namespace, server, server_flags, targets_path, work_dir, endpoint_lag=1.0,
                 model_mount="/models", log=print):
        self.api = api
        self.namespace = namespace
        self.server = server              # the inference-server binary that runs the image's command
        self.server_flags = server_flags  # local flags appended to the server container's args
        self.targets_path = targets_path
        self.work_dir = work_dir
        self.endpoint_lag = endpoint_lag
        self.model_mount = model_mount
        self.log = log
        self.pods = []
        self.services = {}   # name -> Service object (as last listed)
        self.proxies = {}    # name -> ServiceProxy
        self.lock = threading.RLock()
        self.counter = 0
        self.last_targets = None
        self.published_endpoints = {}  # Service name -> the Endpoints last written (JSON)
        self.stopped = threading.Event()
        os.makedirs(os.path.join(work_dir, "pods"), exist_ok=True)
        self._write_targets([])

    # MARK: kube-proxy

    def proxy(self, name):
        with self.lock:
            if name not in self.proxies:
                self.proxies[name] = ServiceProxy(name, lambda: self.endpoint_pods(name))
            return self.proxies[name]

    def endpoint_pods(self, service_name):
        """(port, Deployment) of each pod kube-proxy sends the Service's connections to now."""
        with self.lock:
            service = self.services.get(service_name)
            if service is None:
                return []
            selector = service.get("spec", {}).get("selector") or {}
            return [(p.port, p.deployment) for p in self.pods
                    if matches(selector, p.labels) and p.in_endpoints(self.endpoint_lag)]

    def state(self):
        with self.lock:
            return {"services": {name: self.proxy(name).port for name in self.services},
                    "pods": [{"name": p.name, "deployment": p.deployment, "port": p.port, "ready": p.ready,
                              "terminating": p.terminating_at is not None, "labels": p.labels} for p in self.pods]}

    # MARK: kubelet

    @staticmethod
    def _termination_file(container, pod):
        """Where this node keeps the container's terminationMessagePath (the kubelet mounts a file there)."""
        return os.path.join(pod.directory + ".termination", container.get("name", "container"))

    def _command(self, container, pod):
        """The container's command line as this node runs it."""
        command = list(container.get("command") or [])
        termination_path = container.get("terminationMessagePath", "/dev/termination-log")
        args = list(container.get("args") or [])
        if command and os.path.basename(command[0]) == "inference-server":
            command[0] = self.server
        out = []
        i = 0
        while i < len(args):
            arg = args[i]
            value = args[i + 1] if i + 1 < len(args) else None
            if value is not None and (value == self.model_mount or value.startswith(self.model_mount + "/")):
                out += [arg, pod.directory + value[len(self.model_mount):]]
                i += 2
                continue
            if value == termination_path:  # the file the kubelet mounts at that path
                out += [arg, self._termination_file(container, pod)]
                i += 2
                continue
            if arg == "--http-port":
                out += [arg, str(pod.port)]
                i += 2
                continue
            if arg == "--grpc-port":  # every pod shares this host: a port the system picks
                out += [arg, "0"]
                i += 2
                continue
            if value is not None and value.startswith("http://") and arg.endswith("-url"):
                host = value[len("http://"):].split("/", 1)[0].split(":", 1)[0]
                if "." not in host:  # a Service's short name: cluster DNS
                    value = f"http://127.0.0.1:{self.proxy(host).port}"
                out += [arg, value]
                i += 2
                continue
            out.append(arg)
            i += 1
        return command + out

    def _secret_value(self, ref):
        secret = self.api.get(f"/api/v1/namespaces/{self.namespace}/secrets/{ref.get('name')}")
        if secret is None:
            return None, f'secret "{ref.get("name")}" not found'
        data = secret.get("data") or {}
        if ref.get("key") not in data:
            return None, f"couldn't find key {ref.get('key')} in Secret {self.namespace}/{ref.get('name')}"
        return base64.b64decode(data[ref["key"]]).decode(), None

    def _environment(self, container, pod):
        """The container's environment, or raises ContainerConfigError (the kubelet's CreateContainerConfigError)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MODEL_", "HF_"))}
        names = {entry.get("name") for entry in container.get("env") or []}
        env.update({k: v for k, v in pod.injected_env.items() if k not in names})
        for entry in container.get("env") or []:
            name = entry.get("name")
            if "value" in entry:
                value = str(entry["value"])
                if value == self.model_mount or value.startswith(self.model_mount + "/"):
                    value = pod.directory + value[len(self.model_mount):]
                env[name] = value
                continue
            ref = (entry.get("valueFrom") or {}).get("secretKeyRef")
            if ref is None:
                continue  # fieldRef, resourceFieldRef, configMapKeyRef: not played here
            value, problem = self._secret_value(ref)
            if value is not None:
                env[name] = value
            elif not ref.get("optional"):
                raise ContainerConfigError(problem)
        return env

    def _identity_webhook(self, spec, name):
        """The variables EKS' pod identity webhook adds for an IRSA-annotated ServiceAccount."""
        account = spec.get("serviceAccountName")
        if not account:
            return {}
        found = self.api.get(f"/api/v1/namespaces/{self.namespace}/serviceaccounts/{account}") or {}
        role = ((found.get("metadata") or {}).get("annotations") or {}).get("eks.amazonaws.com/role-arn")
        if not role:
            return {}
        token = os.path.join(self.work_dir, "pods", f"{name}.token")
        with open(token, "w") as f:  # a projected service account token (its contents are not checked here)
            f.write("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJl")
        return {"AWS_ROLE_ARN": role, "AWS_WEB_IDENTITY_TOKEN_FILE": token, "AWS_STS_REGIONAL_ENDPOINTS": "regional"}

    def _run_init(self, init, pod, log):
        """Runs one init container until it succeeds (restarting it with back-off); False if the pod went first."""
        backoff = 1.0
        while pod.terminating_at is None and not self.stopped.is_set():
            command = self._command(init, pod)
            log.write(f"$ {' '.join(command)}\n")
            log.flush()
            try:
                env = self._environment(init, pod)
            except ContainerConfigError as e:
                pod.init_state = {"waiting": {"reason": "CreateContainerConfigError", "message": str(e)}}
                pod.failed = f"init container {init.get('name')}: {e}"
                self.stopped.wait(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            pod.init_state = {"running": {}}
            termination_file = self._termination_file(init, pod)
            os.makedirs(os.path.dirname(termination_file), exist_ok=True)
            open(termination_file, "w").close()  # the kubelet creates it empty at every start
            result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    timeout=300, env=env)
            log.write(result.stdout.decode(errors="replace"))
            log.flush()
            # The message is what the container wrote to its terminationMessagePath (at most 4096 bytes).
            with open(termination_file, "rb") as f:
                written = f.read(4096).decode(errors="replace")
            if result.returncode == 0:
                pod.init_state = {"terminated": {"exitCode": 0, "reason": "Completed"}}
                if written:
                    pod.init_state["terminated"]["message"] = written
                return True
            # FallbackToLogsOnError: when it wrote nothing, the last 80 lines or 2048 bytes of its output, whichever is smaller.
            tail = written or "\n".join(result.stdout.decode(errors="replace").splitlines()[-80:])[-2048:]
            pod.init_last_state = {"terminated": {"exitCode": result.returncode, "reason": "Error", "message": tail}}
            pod.init_restarts += 1
            pod.init_state = {"waiting": {"reason": "CrashLoopBackOff",
                                          "message": f"back-off {backoff:.0f}s restarting failed container={init.get('name')}"}}
            pod.failed = f"init container {init.get('name')} exited {result.returncode}"
            self.stopped.wait(backoff)
            backoff = min(backoff * 2, 10.0)
        return False

    def _run_pod(self, pod):
        spec = pod.template.get("spec", {})
        try:
            with open(pod.log_path, "a") as log:
                for init in spec.get("initContainers", []) or []:
                    if not self._run_init(init, pod, log):
                        return
                    pod.failed = None
                container = spec["containers"][0]
                command = self._command(container, pod) + self.server_flags
                log.write(f"$ {' '.join(command)}\n")
                log.flush()
                with self.lock:
                    if pod.terminating_at is not None:
                        return
                    pod.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                                   env=self._environment(container, pod))
                with open(os.path.join(self.work_dir, "pods", f"{pod.name}.pid"), "w") as f:
                    f.write(str(pod.process.pid))
        except Exception as e:  # a template this node cannot run: the pod fails, the node goes on
            pod.failed = f"{type(e).__name__}: {e}"

    def _start_pod(self, deployment, revision, template):
        self.counter += 1
        name = f"{deployment}-{revision[:6]}-{self.counter}"
        directory = os.path.join(self.work_dir, "pods", name)
        os.makedirs(directory, exist_ok=True)
        pod = Pod(name, deployment, revision, template, directory, os.path.join(self.work_dir, "pods"))
        try:
            pod.injected_env = self._identity_webhook(template.get("spec", {}), name)
        except Exception as e:
            self.log(f"local node: identity webhook for {name}: {e}")
        self.pods.append(pod)
        metadata = {"name": name, "namespace": self.namespace, "labels": pod.labels,
                    "annotations": template.get("metadata", {}).get("annotations") or {}}
        try:
            self.api.create(f"/api/v1/namespaces/{self.namespace}/pods",
                           {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": self._pod_spec(template, pod)})
        except Exception as e:  # the pod still runs; only its object is missing
            self.log(f"local node: creating Pod {name}: {e}")
        threading.Thread(target=self._run_pod, args=(pod,), daemon=True).start()
        return pod

    @staticmethod
    def _template_port(template):
        """The server container's `--http-port` in the template (the port its pods listen on)."""
        containers = template.get("spec", {}).get("containers") or [{}]
        args = containers[0].get("args") or []
        for flag, value in zip(args, args[1:]):
            if flag == "--http-port":
                return int(value)
        return None

    def _pod_spec(self, template, pod):
        """The template's pod spec with the server's container port made this pod's local port."""
        spec = json.loads(json.dumps(template.get("spec", {})))
        port = self._template_port(template)
        for container in spec.get("containers") or []:
            for entry in container.get("ports") or []:
                if port is not None and entry.get("containerPort") == port:
                    entry["containerPort"] = pod.port
        return spec

    def _terminate(self, pod):
        if pod.terminating_at is not None:
            return
        pod.terminating_at = time.time()
        pod.ready = False
        if pod.process is not None and pod.process.poll() is None:
            pod.process.send_signal(signal.SIGTERM)

    @staticmethod
    def _probe_path(template):
        container = (template.get("spec", {}).get("containers") or [{}])[0]
        probe = container.get("readinessProbe", {}).get("httpGet", {})
        return probe.get("path", "/")

    def _probe(self, pod):
        if pod.process is None or pod.process.poll() is not None:
            return False
        try:
            url = f"http://127.0.0.1:{pod.port}{self._probe_path(pod.template)}"
            with urllib.request.urlopen(url, timeout=0.5) as response:
                return response.status == 200
        except Exception:
            return False

    def _reconcile_deployment(self, deployment):
        name = deployment["metadata"]["name"]
        spec = deployment.get("spec", {})
        want = spec.get("replicas", 1) or 0
        template = spec.get("template", {})
        revision = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()
        mine = [p for p in self.pods if p.deployment == name and p.terminating_at is None]
        current = [p for p in mine if p.revision == revision]
        old = [p for p in mine if p.revision != revision]
        # Pods that cannot run are replaced by nothing (a crash loop): they stay, not ready.
        if old:
            # RollingUpdate, maxSurge 1, maxUnavailable 0.
            if len(current) < want and len(current) + len(old) < want + 1:
                current.append(self._start_pod(name, revision, template))
            ready_total = sum(1 for p in current + old if p.ready)
            for pod in sorted(old, key=lambda p: (p.ready, -p.started)):
                if not pod.ready or ready_total - 1 >= want:
                    if pod.ready:
                        ready_total -= 1
                    self._terminate(pod)
                    old.remove(pod)
        while len(current) < want:
            current.append(self._start_pod(name, revision, template))
        if len(current) > want and not old:
            # Not-ready pods go first, then the youngest (as a ReplicaSet chooses).
            for pod in sorted(current, key=lambda p: (p.ready, -p.started))[:len(current) - want]:
                self._terminate(pod)
                current.remove(pod)
        for pod in current + old:
            if not pod.ready and pod.terminating_at is None and self._probe(pod):
                pod.ready = True
                pod.ready_after = time.time() - pod.started
        ready = sum(1 for p in current + old if p.ready)
        status = {"observedGeneration": deployment.get("metadata", {}).get("generation", 0),
                  "replicas": len(current) + len(old), "updatedReplicas": len(current),
                  "readyReplicas": ready, "availableReplicas": ready,
                  "unavailableReplicas": max(0, want - ready)}
        live = {k: (deployment.get("status") or {}).get(k, 0) for k in status}
        if status != live:
            self.api.merge_patch(f"/apis/apps/v1/namespaces/{self.namespace}/deployments/{name}/status", {"status": status})

    def _status(self, pod):
        init_names = [c.get("name") for c in pod.template.get("spec", {}).get("initContainers", []) or []]
        inits = []
        for name in init_names:
            entry = {"name": name, "ready": "terminated" in pod.init_state and pod.init_state["terminated"]["exitCode"] == 0,
                     "restartCount": pod.init_restarts, "state": pod.init_state}
            if pod.init_last_state:
                entry["lastState"] = pod.init_last_state
            inits.append(entry)
        running = pod.process is not None and pod.process.poll() is None
        container = (pod.template.get("spec", {}).get("containers") or [{}])[0].get("name", "server")
        state = {"running": {}} if running else ({"terminated": {"exitCode": pod.process.returncode}} if pod.process else
                                                 {"waiting": {"reason": "PodInitializing"}})
        return {"phase": "Running" if running else "Pending", "podIP": "127.0.0.1", "hostIP": "127.0.0.1",
                "conditions": [{"type": "Ready", "status": "True" if pod.ready else "False"}],
                "initContainerStatuses": inits,
                "containerStatuses": [{"name": container, "ready": pod.ready, "restartCount": 0, "state": state}]}

    # MARK: endpoints controller

    def _endpoints_object(self, service, pods):
        """The Endpoints object the endpoints controller would write for `service`."""
        selector = service.get("spec", {}).get("selector") or {}
        subsets = []
        for pod in sorted(pods, key=lambda p: p.name):
            if not matches(selector, pod.labels) or pod.process is None or pod.exited():
                continue
            ready = pod.in_endpoints(self.endpoint_lag)
            if not ready and pod.terminating_at is not None:
                continue  # a terminating pod leaves the Endpoints
            template_port = self._template_port(pod.template)
            containers = pod.template.get("spec", {}).get("containers") or [{}]
            named = {p.get("name"): p.get("containerPort") for p in containers[0].get("ports") or []}
            ports = []
            for entry in service.get("spec", {}).get("ports") or []:
                target = entry.get("targetPort", entry.get("port"))
                number = named.get(target) if isinstance(target, str) else target
                if number is None:
                    continue
                port = {"port": pod.port if number == template_port else number,
                        "protocol": entry.get("protocol", "TCP")}
                if entry.get("name"):
                    port["name"] = entry["name"]
                ports.append(port)
            if not ports:
                continue
            address = {"ip": "127.0.0.1",
                       "targetRef": {"kind": "Pod", "name": pod.name, "namespace": self.namespace}}
            subsets.append({"addresses" if ready else "notReadyAddresses": [address], "ports": ports})
        metadata = {"name": service["metadata"]["name"], "namespace": self.namespace,
                    "labels": service["metadata"].get("labels") or {}}
        return {"apiVersion": "v1", "kind": "Endpoints", "metadata": metadata, "subsets": subsets}

    def _publish_endpoints(self, services, pods):
        path = f"/api/v1/namespaces/{self.namespace}/endpoints"
        for name, service in services.items():
            if not (service.get("spec", {}).get("selector")):
                continue  # a Service without a selector keeps Endpoints someone else writes
            wanted = self._endpoints_object(service, pods)
            key = json.dumps(wanted, sort_keys=True)
            if self.published_endpoints.get(name) == key:
                continue
            try:
                if name in self.published_endpoints:
                    self.api.replace(f"{path}/{name}", wanted)
                else:
                    try:
                        self.api.create(path, wanted)
                    except urllib.error.HTTPError as e:
                        if e.code != 409:
                            raise
                        self.api.replace(f"{path}/{name}", wanted)
                self.published_endpoints[name] = key
            except Exception as e:
                self.log(f"local node: Endpoints {name}: {e}")
        for name in [n for n in self.published_endpoints if n not in services]:
            del self.published_endpoints[name]
            try:
                self.api.delete(f"{path}/{name}")
            except Exception:
                pass

    def _publish(self, pods, gone):
        for pod in pods:
            status = self._status(pod)
            if status != pod.published:
                try:
                    self.api.merge_patch(f"/api/v1/namespaces/{self.namespace}/pods/{pod.name}/status", {"status": status})
                    pod.published = status
                except Exception as e:
                    self.log(f"local node: Pod {pod.name} status: {e}")
        for pod in gone:
            try:
                self.api.delete(f"/api/v1/namespaces/{self.namespace}/pods/{pod.name}")
            except Exception:
                pass

    def step(self):
        deployments = (self.api.get(f"/apis/apps/v1/namespaces/{self.namespace}/deployments") or {}).get("items", [])
        services = (self.api.get(f"/api/v1/namespaces/{self.namespace}/services") or {}).get("items", [])
        with self.lock:
            self.services = {s["metadata"]["name"]: s for s in services}
            for name in self.services:
                self.proxy(name)
            names = {d["metadata"]["name"] for d in deployments}
            for pod in self.pods:
                if pod.deployment not in names:
                    self._terminate(pod)
            for deployment in deployments:
                self._reconcile_deployment(deployment)
            gone = [p for p in self.pods if p.terminating_at is not None and (p.process is None or p.exited())
                    and time.time() - p.terminating_at >= self.endpoint_lag]
            for pod in gone:
                self.pods.remove(pod)
                shutil.rmtree(pod.directory, ignore_errors=True)
                try:
                    os.remove(os.path.join(self.work_dir, "pods", f"{pod.name}.pid"))
                except OSError:
                    pass
            scraped = [p for p in self.pods if p.process is not None and not p.exited()
                       and (p.ready or p.terminating_at is not None) and p.ready_after is not None]
            current = list(self.pods)
            services = dict(self.services)
        self._write_targets(scraped)
        self._publish(current, gone)
        self._publish_endpoints(services, current)

    def _write_targets(self, pods):
        groups = [{"targets": [f"127.0.0.1:{p.port}"],
                   "labels": {"namespace": self.namespace,
                              "service": f"{p.labels.get('app.kubernetes.io/instance', p.deployment)}-predictor",
                              "pod": p.name}} for p in sorted(pods, key=lambda p: p.name)]
        if groups == self.last_targets:
            return
        self.last_targets = groups
        tmp = self.targets_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(groups, f)
        os.replace(tmp, self.targets_path)  # Prometheus' file_sd picks up the rename

    def run(self, period=0.25):
        while not self.stopped.is_set():
            try:
                self.step()
            except Exception as e:  # the API server going away ends the run anyway
                self.log(f"local node: {type(e).__name__}: {e}")
            self.stopped.wait(period)

    def start(self):
        threading.Thread(target=self.run, daemon=True).start()
        return self

    def stop(self):
        """Stops every pod (SIGTERM, SIGKILL after 10 s) and the proxies."""
        self.stopped.set()
        with self.lock:
            pods = list(self.pods)
            for pod in pods:
                self._terminate(pod)
        deadline = time.time() + 10
        for pod in pods:
            if pod.process is not None:
                try:
                    pod.process.wait(timeout=max(0.1, deadline - time.time()))
                except subprocess.TimeoutExpired:
                    pod.process.kill()
                    pod.process.wait()
        for proxy in self.proxies.values():
            proxy.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--api", required=True, help="the test API server's URL")
    p.add_argument("--namespace", required=True)
    p.add_argument("--server", required=True, help="the inference-server binary that stands for the image")
    p.add_argument("--server-flag", action="append", default=[], help="a local flag for the server container (repeatable)")
    p.add_argument("--targets", required=True, help="Prometheus file_sd JSON file to maintain")
    p.add_argument("--work-dir", required=True)
    p.add_argument("--state", help="file to keep the Services' proxy ports and the pods in (JSON)")
    a = p.parse_args()
    node = Node(Api(a.api), a.namespace, a.server, a.server_flag, a.targets, a.work_dir).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.5):
        if a.state:
            tmp = a.state + ".tmp"
            with open(tmp, "w") as f:
                json.dump(node.state(), f)
            os.replace(tmp, a.state)
    node.stop()


if __name__ == "__main__":
    main()
