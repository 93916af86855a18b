{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "inference-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: the release name, or release-chart when the release name does not contain the chart name. */}}
{{- define "inference-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "inference-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "inference-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "inference-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "inference-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: inference-operator
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "inference-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "inference-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "inference-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The rules the operator needs on the objects it manages, in every watched
namespace (a ClusterRole, or a Role per namespace). Each line is a call the
code makes; InstallTests.rbacRulesMatchTheCallsTheOperatorMakes compares them
with the test API server's request log, and runs the operator bound to
exactly these rules.
*/}}
{{- define "inference-operator.managerRules" -}}
# Informer: list + watch InferenceServices; the reconciler writes only the status subresource.
- apiGroups: [serving.swiftinfer.io]
  resources: [inferenceservices]
  verbs: [list, watch]
- apiGroups: [serving.swiftinfer.io]
  resources: [inferenceservices/status]
  verbs: [patch]
# The predictor Deployment and Service: informers (list + watch) and
# server-side apply (patch; an apply that creates the object also needs create).
# delete: only a canary's Deployment and per-version Services, once spec.canary is removed.
- apiGroups: [apps]
  resources: [deployments]
  verbs: [list, watch, create, patch, delete]
- apiGroups: [""]
  resources: [services]
  verbs: [list, watch, create, patch, delete]
# The pods of those Deployments (label managed-by=inference-operator), read
# only: an init container that cannot fetch the model sets ModelFetchFailed.
- apiGroups: [""]
  resources: [pods]
  verbs: [list, watch]
# Events (events.k8s.io/v1): a new event is created, a repeat patches its series.
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create, patch]
# spec.autoscaling.prometheus.authSecretRef: the scaling loop reads the named
# Secret by name (get only: no list or watch, so it sees no other Secret's
# content); cached for 60 s, read again after a 401/403 from Prometheus.
- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
# spec.canary.gatewayRef: the canary's HTTPRoute (Gateway API), where the
# cluster serves gateway.networking.k8s.io/v1 (found at start): informer,
# server-side apply, delete once gatewayRef or spec.canary is removed.
- apiGroups: [gateway.networking.k8s.io]
  resources: [httproutes]
  verbs: [list, watch, create, patch, delete]
{{- if .Values.inferenceServiceMonitors.enabled }}
# --service-monitors: a ServiceMonitor per InferenceService (informer, then
# server-side apply), only where the chart turns the flag on.
- apiGroups: [monitoring.coreos.com]
  resources: [servicemonitors]
  verbs: [list, watch, create, patch]
{{- end }}
{{- end }}

{{/* Cross-field checks the JSON schema cannot phrase clearly. */}}
{{- define "inference-operator.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) }}
{{- fail (printf "replicaCount is %d but leaderElection.enabled is false: replicas would reconcile and scale the same objects at once; enable leader election or set replicaCount: 1" (int .Values.replicaCount)) }}
{{- end }}
{{- $le := .Values.leaderElection }}
{{- if not (and (gt (int $le.leaseDurationSeconds) (int $le.renewDeadlineSeconds)) (gt (int $le.renewDeadlineSeconds) (int $le.retryPeriodSeconds))) }}
{{- fail (printf "leaderElection: need leaseDurationSeconds (%d) > renewDeadlineSeconds (%d) > retryPeriodSeconds (%d)" (int $le.leaseDurationSeconds) (int $le.renewDeadlineSeconds) (int $le.retryPeriodSeconds)) }}
{{- end }}
{{- if and .Values.podDisruptionBudget.enabled (ge (int .Values.podDisruptionBudget.minAvailable) (int .Values.replicaCount)) }}
{{- fail (printf "podDisruptionBudget.minAvailable (%d) must be below replicaCount (%d), or no node could ever be drained" (int .Values.podDisruptionBudget.minAvailable) (int .Values.replicaCount)) }}
{{- end }}
{{- end }}
