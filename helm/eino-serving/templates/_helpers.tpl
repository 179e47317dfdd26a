{{/* Names and labels (docs/deployment.md, "Helm chart"). */}}

{{- define "eino.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "eino.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "eino.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "eino.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* The Service every track shares (the stable release creates it): Istio's subsets split it. */}}
{{- define "eino.serviceName" -}}
{{- default (include "eino.fullname" .) .Values.service.name }}
{{- end }}

{{- define "eino.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "eino.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "eino.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "eino.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "eino.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: eino-serving
app: {{ .Values.appLabel }}
track: {{ .Values.track }}
{{- end }}

{{/*
Labels of the `helm test` pod: the release's, without the workload's name, app and track, so
that no selector of the workload (Deployment, Services, PodDisruptionBudget, anti-affinity,
NetworkPolicy, `kubectl wait -l app=…`) takes it for one of the service's pods.
*/}}
{{- define "eino.testLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: eino-serving
app.kubernetes.io/component: test
{{- end }}

{{/* This release's pods. */}}
{{- define "eino.selectorLabels" -}}
app.kubernetes.io/name: {{ include "eino.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Every track's pods (stable and canary releases): the shared Service's selector. */}}
{{- define "eino.allTracksSelector" -}}
app.kubernetes.io/name: {{ include "eino.name" . }}
app: {{ .Values.appLabel }}
{{- end }}

{{/* Spring profiles: json (JSON logs), vault (model keys from Vault). */}}
{{- define "eino.profiles" -}}
{{- $profiles := list }}
{{- if .Values.jsonLogs }}{{ $profiles = append $profiles "json" }}{{ end }}
{{- if .Values.vault.enabled }}{{ $profiles = append $profiles "vault" }}{{ end }}
{{- join "," $profiles }}
{{- end }}
