"""Prometheus scraping as prometheus-operator would, for tests on one machine.

Two parts, each following the upstream code it stands in for:

- `scrape_config(monitor, index, endpoint, sd_url)`: the scrape job prometheus-operator
  generates for one endpoint of a ServiceMonitor (prometheus-operator
  pkg/prometheus/promcfg.go, `generateServiceMonitorConfig`, with the default
  `endpoints` role and no scrape class, sharding over 1 shard). Field by field, see
  docs/operations.md "What prometheus-operator generates from our ServiceMonitor". A
  ServiceMonitor field it does not translate is an error naming the field, never
  silently dropped.
- `EndpointsDiscovery`: the targets and `__meta_kubernetes_*` labels Prometheus' own
  kubernetes SD gives for `role: endpoints` (prometheus discovery/kubernetes/endpoints.go
  `buildEndpoints`, with pod.go `podLabels` and service.go `serviceLabels`), read from the
  test API server's Endpoints, Services and Pods. Debian's Prometheus is built without
  kubernetes SD (`kubernetes_sd_configs` does not parse), so the one swap in the
  generated job is `kubernetes_sd_configs: [{role: endpoints, namespaces: ...}]` ->
  `http_sd_configs: [{url: <EndpointsDiscovery>}]`; every relabeling rule is
  prometheus-operator's and runs in the real Prometheus.

`PrometheusOperator` ties them together like prometheus-operator and its config reloader:
it lists the ServiceMonitors a Prometheus' serviceMonitorSelector matches, writes the
configuration and asks Prometheus to reload (`POST /-/reload`) when it changed.
"""
import http.server
import json
import re
import threading
import urllib.parse
import urllib.request

_INVALID_LABEL_CHARS = re.compile(r"[^a-zA-Z0-9_]")


def sanitize(name):
    """strutil.SanitizeLabelName / promcfg sanitizeLabelName."""
    return _INVALID_LABEL_CHARS.sub("_", name)


class UnsupportedField(ValueError):
    pass


# The ServiceMonitor fields translated below; anything else set is refused.
_SPEC_FIELDS = {"selector", "namespaceSelector", "endpoints", "jobLabel", "targetLabels", "podTargetLabels"}
_ENDPOINT_FIELDS = {"port", "targetPort", "path", "interval", "scrapeTimeout", "scheme", "params", "honorLabels",
                    "honorTimestamps", "relabelings", "metricRelabelings", "filterRunning"}
_RELABEL_FIELDS = {"sourceLabels": "source_labels", "separator": "separator", "targetLabel": "target_label",
                   "regex": "regex", "modulus": "modulus", "replacement": "replacement", "action": "action"}


def _relabel_configs(rules, where):
    """promcfg generateRelabelConfig: camelCase fields to Prometheus' names, action lower-cased."""
    out = []
    for i, rule in enumerate(rules or []):
        unknown = sorted(set(rule) - set(_RELABEL_FIELDS))
        if unknown:
            raise UnsupportedField(f"{where}[{i}].{unknown[0]} is not translated")
        entry = {}
        for field, name in _RELABEL_FIELDS.items():
            if field in rule and rule[field] not in ("", None, [], 0):
                entry[name] = rule[field].lower() if field == "action" else rule[field]
        out.append(entry)
    return out


def _namespaces(monitor):
    """promcfg generateK8SSDConfig: `any` lists none (every namespace), else matchNames,
    else the ServiceMonitor's own namespace."""
    selector = monitor.get("spec", {}).get("namespaceSelector") or {}
    if selector.get("any"):
        return []
    return list(selector.get("matchNames") or [monitor["metadata"]["namespace"]])


def _selector_rules(selector):
    rules = []
    for key in sorted((selector or {}).get("matchLabels") or {}):
        value = selector["matchLabels"][key]
        rules.append({"action": "keep",
                      "source_labels": [f"__meta_kubernetes_service_label_{sanitize(key)}",
                                        f"__meta_kubernetes_service_labelpresent_{sanitize(key)}"],
                      "regex": f"({value});true"})
    for expression in (selector or {}).get("matchExpressions") or []:
        key, operator = sanitize(expression["key"]), expression["operator"]
        values = "|".join(expression.get("values") or [])
        both = [f"__meta_kubernetes_service_label_{key}", f"__meta_kubernetes_service_labelpresent_{key}"]
        present = [f"__meta_kubernetes_service_labelpresent_{key}"]
        rules.append({
            "In": {"action": "keep", "source_labels": both, "regex": f"({values});true"},
            "NotIn": {"action": "drop", "source_labels": both, "regex": f"({values});true"},
            "Exists": {"action": "keep", "source_labels": present, "regex": "true"},
            "DoesNotExist": {"action": "drop", "source_labels": present, "regex": "true"},
        }[operator])
    return rules


def scrape_config(monitor, index, endpoint, sd_url):
    """The scrape job for `monitor`'s `index`-th endpoint (a dict; Prometheus reads JSON as YAML)."""
    spec = monitor.get("spec", {})
    name = f"{monitor['metadata']['namespace']}/{monitor['metadata']['name']}"
    unknown = sorted(set(spec) - _SPEC_FIELDS)
    if unknown:
        raise UnsupportedField(f"ServiceMonitor {name}: spec.{unknown[0]} is not translated")
    unknown = sorted(set(endpoint) - _ENDPOINT_FIELDS)
    if unknown:
        raise UnsupportedField(f"ServiceMonitor {name}: spec.endpoints[{index}].{unknown[0]} is not translated")

    namespaces = _namespaces(monitor)
    query = urllib.parse.urlencode({"namespaces": ",".join(namespaces)})
    job = {"job_name": f"serviceMonitor/{name}/{index}",
           "honor_labels": bool(endpoint.get("honorLabels", False)),
           # prometheus-operator: kubernetes_sd_configs [{role: endpoints, namespaces: {names: ...}}]
           "http_sd_configs": [{"url": f"{sd_url}/endpoints?{query}", "refresh_interval": "1s"}]}
    if "honorTimestamps" in endpoint:
        job["honor_timestamps"] = bool(endpoint["honorTimestamps"])
    for field, key in (("interval", "scrape_interval"), ("scrapeTimeout", "scrape_timeout"),
                       ("path", "metrics_path"), ("params", "params"), ("scheme", "scheme")):
        if endpoint.get(field):
            job[key] = endpoint[field]

    relabel = [{"source_labels": ["job"], "target_label": "__tmp_prometheus_job_name"}]
    relabel += _selector_rules(spec.get("selector"))
    port, target_port = endpoint.get("port"), endpoint.get("targetPort")
    if port:
        relabel.append({"action": "keep", "source_labels": ["__meta_kubernetes_endpoint_port_name"], "regex": port})
    elif isinstance(target_port, str) and target_port:
        relabel.append({"action": "keep", "source_labels": ["__meta_kubernetes_pod_container_port_name"],
                        "regex": target_port})
    elif isinstance(target_port, int) and target_port:
        relabel.append({"action": "keep", "source_labels": ["__meta_kubernetes_pod_container_port_number"],
                        "regex": str(target_port)})
    kind_and_name = ["__meta_kubernetes_endpoint_address_target_kind", "__meta_kubernetes_endpoint_address_target_name"]
    relabel += [
        {"source_labels": kind_and_name, "separator": ";", "regex": "Node;(.*)", "replacement": "${1}",
         "target_label": "node"},
        {"source_labels": kind_and_name, "separator": ";", "regex": "Pod;(.*)", "replacement": "${1}",
         "target_label": "pod"},
        {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
        {"source_labels": ["__meta_kubernetes_service_name"], "target_label": "service"},
        {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
        {"source_labels": ["__meta_kubernetes_pod_container_name"], "target_label": "container"},
    ]
    if endpoint.get("filterRunning", True):
        relabel.append({"action": "drop", "source_labels": ["__meta_kubernetes_pod_phase"],
                        "regex": "(Failed|Succeeded)"})
    for label in spec.get("targetLabels") or []:
        relabel.append({"source_labels": [f"__meta_kubernetes_service_label_{sanitize(label)}"],
                        "target_label": sanitize(label), "regex": "(.+)", "replacement": "${1}"})
    for label in spec.get("podTargetLabels") or []:
        relabel.append({"source_labels": [f"__meta_kubernetes_pod_label_{sanitize(label)}"],
                        "target_label": sanitize(label), "regex": "(.+)", "replacement": "${1}"})
    relabel.append({"source_labels": ["__meta_kubernetes_service_name"], "target_label": "job", "replacement": "${1}"})
    if spec.get("jobLabel"):
        relabel.append({"source_labels": [f"__meta_kubernetes_service_label_{sanitize(spec['jobLabel'])}"],
                        "target_label": "job", "regex": "(.+)", "replacement": "${1}"})
    if port:
        relabel.append({"target_label": "endpoint", "replacement": port})
    elif target_port not in (None, ""):
        relabel.append({"target_label": "endpoint", "replacement": str(target_port)})
    relabel += _relabel_configs(endpoint.get("relabelings"), f"ServiceMonitor {name}: spec.endpoints[{index}].relabelings")
    # One shard: the config reloader puts 0 for $(SHARD).
    relabel += [{"source_labels": ["__address__"], "target_label": "__tmp_hash", "modulus": 1, "action": "hashmod"},
                {"source_labels": ["__tmp_hash"], "regex": "0", "action": "keep"}]
    job["relabel_configs"] = relabel
    metric = _relabel_configs(endpoint.get("metricRelabelings"),
                              f"ServiceMonitor {name}: spec.endpoints[{index}].metricRelabelings")
    if metric:
        job["metric_relabel_configs"] = metric
    return job


def prometheus_config(monitors, sd_url, scrape_interval="1s"):
    """The whole configuration: one job per ServiceMonitor endpoint, ordered by namespace/name as
    prometheus-operator orders them."""
    jobs = []
    for monitor in sorted(monitors, key=lambda m: (m["metadata"]["namespace"], m["metadata"]["name"])):
        for index, endpoint in enumerate(monitor.get("spec", {}).get("endpoints") or []):
            jobs.append(scrape_config(monitor, index, endpoint, sd_url))
    return {"global": {"scrape_interval": scrape_interval, "evaluation_interval": scrape_interval},
            "scrape_configs": jobs}


# MARK: kubernetes SD, role endpoints

def _object_meta_labels(prefix, meta):
    labels = {}
    for key, value in (meta.get("labels") or {}).items():
        labels[f"__meta_kubernetes_{prefix}_label_{sanitize(key)}"] = value
        labels[f"__meta_kubernetes_{prefix}_labelpresent_{sanitize(key)}"] = "true"
    for key, value in (meta.get("annotations") or {}).items():
        labels[f"__meta_kubernetes_{prefix}_annotation_{sanitize(key)}"] = value
        labels[f"__meta_kubernetes_{prefix}_annotationpresent_{sanitize(key)}"] = "true"
    return labels


def service_labels(service):
    """service.go serviceLabels."""
    labels = {"__meta_kubernetes_service_name": service["metadata"]["name"],
              "__meta_kubernetes_namespace": service["metadata"]["namespace"]}
    labels.update(_object_meta_labels("service", service["metadata"]))
    return labels


def _pod_ready(pod):
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return str(condition.get("status", "unknown")).lower()
    return "unknown"


def pod_labels(pod):
    """pod.go podLabels."""
    status, meta = pod.get("status") or {}, pod["metadata"]
    labels = {"__meta_kubernetes_pod_name": meta["name"], "__meta_kubernetes_pod_ip": status.get("podIP", ""),
              "__meta_kubernetes_pod_ready": _pod_ready(pod), "__meta_kubernetes_pod_phase": status.get("phase", ""),
              "__meta_kubernetes_pod_node_name": (pod.get("spec") or {}).get("nodeName", ""),
              "__meta_kubernetes_pod_host_ip": status.get("hostIP", ""), "__meta_kubernetes_pod_uid": meta.get("uid", "")}
    for owner in meta.get("ownerReferences") or []:
        if owner.get("controller"):
            labels["__meta_kubernetes_pod_controller_kind"] = owner.get("kind", "")
            labels["__meta_kubernetes_pod_controller_name"] = owner.get("name", "")
    labels.update(_object_meta_labels("pod", meta))
    return labels


def endpoints_targets(endpoints, services, pods):
    """endpoints.go buildEndpoints: the targets of one Endpoints object, each a label set with
    `__address__` (group labels merged in, as Prometheus merges them before relabeling)."""
    meta = endpoints["metadata"]
    group = {"__meta_kubernetes_namespace": meta["namespace"], "__meta_kubernetes_endpoints_name": meta["name"]}
    service = services.get((meta["namespace"], meta["name"]))
    if service is not None:
        group.update(service_labels(service))
    for key, value in (meta.get("labels") or {}).items():
        group[f"__meta_kubernetes_endpoints_label_{sanitize(key)}"] = value
        group[f"__meta_kubernetes_endpoints_labelpresent_{sanitize(key)}"] = "true"

    targets = {}   # address -> labels; a not-ready address generated again overrides the ready one
    seen = {}      # pod key -> (pod, [endpoint ports])

    def add(address, port, ready):
        target = {"__address__": f"{address['ip']}:{port['port']}",
                  "__meta_kubernetes_endpoint_port_name": port.get("name", ""),
                  "__meta_kubernetes_endpoint_port_protocol": port.get("protocol", "TCP"),
                  "__meta_kubernetes_endpoint_ready": ready}
        ref = address.get("targetRef")
        if ref:
            target["__meta_kubernetes_endpoint_address_target_kind"] = ref.get("kind", "")
            target["__meta_kubernetes_endpoint_address_target_name"] = ref.get("name", "")
        if address.get("nodeName"):
            target["__meta_kubernetes_endpoint_node_name"] = address["nodeName"]
        if address.get("hostname"):
            target["__meta_kubernetes_endpoint_hostname"] = address["hostname"]
        pod = pods.get((ref.get("namespace", meta["namespace"]), ref.get("name"))) if ref and ref.get("kind") == "Pod" else None
        if pod is not None:
            key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
            seen.setdefault(key, (pod, []))[1].append(port)
            target.update(pod_labels(pod))
            for container in (pod.get("spec") or {}).get("containers") or []:
                matched = next((p for p in container.get("ports") or [] if p.get("containerPort") == port["port"]), None)
                if matched is not None:
                    target["__meta_kubernetes_pod_container_name"] = container.get("name", "")
                    target["__meta_kubernetes_pod_container_port_name"] = matched.get("name", "")
                    target["__meta_kubernetes_pod_container_port_number"] = str(port["port"])
                    target["__meta_kubernetes_pod_container_port_protocol"] = port.get("protocol", "TCP")
                    break
        targets[(target["__address__"], port.get("name", ""))] = target

    for subset in endpoints.get("subsets") or []:
        for port in subset.get("ports") or []:
            for address in subset.get("addresses") or []:
                add(address, port, "true")
            for address in subset.get("notReadyAddresses") or []:
                add(address, port, "false")
    out = list(targets.values())
    # Container ports no Endpoints port covered: targets on the pod's IP (the port name keep drops them).
    for pod, ports in seen.values():
        covered = {p["port"] for p in ports}
        for container in (pod.get("spec") or {}).get("containers") or []:
            for cport in container.get("ports") or []:
                if cport.get("containerPort") in covered:
                    continue
                target = {"__address__": f"{(pod.get('status') or {}).get('podIP', '')}:{cport['containerPort']}",
                          "__meta_kubernetes_pod_container_name": container.get("name", ""),
                          "__meta_kubernetes_pod_container_port_name": cport.get("name", ""),
                          "__meta_kubernetes_pod_container_port_number": str(cport["containerPort"]),
                          "__meta_kubernetes_pod_container_port_protocol": cport.get("protocol", "TCP")}
                target.update(pod_labels(pod))
                out.append(target)
    return [dict(group, **target) for target in out]


class EndpointsDiscovery:
    """HTTP SD (`GET /endpoints?namespaces=a,b`; none: every namespace) answering with what
    kubernetes SD `role: endpoints` would discover, read fresh from the API server each time."""

    def __init__(self, api):
        self.api = api

    def _list(self, namespaces, plural):
        paths = [f"/api/v1/namespaces/{ns}/{plural}" for ns in namespaces] or [f"/api/v1/{plural}"]
        items = []
        for path in paths:
            items += (self.api.get(path) or {}).get("items", [])
        return items

    def groups(self, namespaces):
        key = lambda o: (o["metadata"]["namespace"], o["metadata"]["name"])  # noqa: E731
        services = {key(s): s for s in self._list(namespaces, "services")}
        pods = {key(p): p for p in self._list(namespaces, "pods")}
        groups = []
        for endpoints in sorted(self._list(namespaces, "endpoints"), key=key):
            for target in endpoints_targets(endpoints, services, pods):
                labels = {k: v for k, v in target.items() if k != "__address__"}
                groups.append({"targets": [target["__address__"]], "labels": labels})
        return groups

    def serve(self, port=0):
        """Starts the HTTP SD endpoint on 127.0.0.1; returns its base URL."""
        discovery = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                url = urllib.parse.urlparse(self.path)
                if url.path != "/endpoints":
                    self.send_error(404)
                    return
                names = urllib.parse.parse_qs(url.query).get("namespaces", [""])[0]
                try:
                    body = json.dumps(discovery.groups([n for n in names.split(",") if n])).encode()
                except Exception as e:  # the API server going away: Prometheus keeps its last targets
                    self.send_error(503, str(e))
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class PrometheusOperator:
    """Keeps a Prometheus' configuration to the ServiceMonitors its selector matches."""

    def __init__(self, api, prometheus_url, config_path, sd_url, selector=None, log=print):
        self.api = api
        self.prometheus_url = prometheus_url.rstrip("/")
        self.config_path = config_path
        self.sd_url = sd_url
        self.selector = selector or {}  # serviceMonitorSelector.matchLabels
        self.log = log
        self.written = None
        self.jobs = []
        self.stopped = threading.Event()

    def monitors(self):
        listed = self.api.get("/apis/monitoring.coreos.com/v1/servicemonitors") or {}
        return [m for m in listed.get("items", [])
                if all((m["metadata"].get("labels") or {}).get(k) == v for k, v in self.selector.items())]

    def sync(self):
        try:
            config = prometheus_config(self.monitors(), self.sd_url)
        except UnsupportedField as e:
            self.log(f"prometheus-operator stand-in: {e}")
            return
        text = json.dumps(config, indent=1)
        if text == self.written:
            return
        with open(self.config_path, "w") as f:
            f.write(text)
        request = urllib.request.Request(self.prometheus_url + "/-/reload", method="POST")
        urllib.request.urlopen(request, timeout=10).read()
        self.written = text
        self.jobs = [job["job_name"] for job in config["scrape_configs"]]
        self.log(f"prometheus-operator stand-in: configuration reloaded with jobs {self.jobs}")

    def run(self, period=0.5):
        while not self.stopped.is_set():
            try:
                self.sync()
            except Exception as e:
                self.log(f"prometheus-operator stand-in: {type(e).__name__}: {e}")
            self.stopped.wait(period)

    def start(self):
        threading.Thread(target=self.run, daemon=True).start()
        return self

    def stop(self):
        self.stopped.set()


def main():
    import argparse
    import sys
    p = argparse.ArgumentParser(description="Prints the Prometheus configuration prometheus-operator would generate "
                                            "from ServiceMonitors.")
    p.add_argument("monitors", help="a JSON file: a list of ServiceMonitors or a List object")
    p.add_argument("--sd-url", required=True, help="the EndpointsDiscovery base URL the jobs read targets from")
    a = p.parse_args()
    with open(a.monitors) as f:
        data = json.load(f)
    monitors = data.get("items", []) if isinstance(data, dict) else data
    try:
        print(json.dumps(prometheus_config(monitors, a.sd_url), indent=1))
    except UnsupportedField as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
