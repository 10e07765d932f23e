{{/* Name of the chart, overridable. */}}
{{- define "vigil.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name for namespaced objects; "vigil" when the release is called vigil. */}}
{{- define "vigil.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "vigil.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "vigil.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "vigil.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vigil.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "vigil.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "vigil.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: vigil
{{- end }}

{{- define "vigil.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "vigil.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "vigil.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ $tag }}
{{- end -}}
{{- end }}

{{- define "vigil.exportFile" -}}
{{ trimSuffix "/" .Values.export.directory }}/{{ .Values.export.filename }}
{{- end }}

{{/*
vigild's configuration file: the chart's own settings (paths inside the pod,
the metrics/health server, the Kubernetes API) over the user's `config`.
Keys are vigild flag names (docs/configuration.md).
*/}}
{{- define "vigil.agentConfig" -}}
{{- $fixed := dict
  "procfs" "/procHost"
  "run-dir" .Values.runDirectory
  "server-address" (printf "unix://%s/vigil.sock" (trimSuffix "/" .Values.runDirectory))
  "tracing-policy-dir" "/etc/vigil/tracing-policies.d"
  "metrics-server" (printf ":%d" (int .Values.metrics.port))
  "enable-k8s-api" .Values.k8sApi.enabled
-}}
{{- if .Values.export.enabled }}
{{- $_ := set $fixed "export-filename" (include "vigil.exportFile" .) }}
{{- end }}
{{- $cfg := merge $fixed (deepCopy .Values.config) }}
{{- toYaml $cfg }}
{{- end }}

{{/* The container's capabilities when not privileged; see values.yaml. */}}
{{- define "vigil.securityContext" -}}
{{- if .Values.securityContext.privileged }}
privileged: true
{{- else }}
privileged: false
allowPrivilegeEscalation: false
capabilities:
  drop: [ALL]
  add:
  {{- toYaml .Values.securityContext.capabilities | nindent 4 }}
seccompProfile:
  type: Unconfined
{{- if semverCompare ">=1.30-0" .Capabilities.KubeVersion.Version }}
appArmorProfile:
  type: Unconfined
{{- end }}
{{- end }}
readOnlyRootFilesystem: true
runAsUser: 0
runAsGroup: 0
{{- end }}
