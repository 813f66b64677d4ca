{{/* The release's full name: the release name when it contains the chart's, else both. */}}
{{- define "profcol.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "profcol.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "profcol.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "profcol.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one workload: (list $ "component"). */}}
{{- define "profcol.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ $root.Chart.Name }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "profcol.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "profcol.tokenSecretName" -}}
{{- default (printf "%s-admin-token" (include "profcol.fullname" .)) .Values.admin.bearerToken.existingSecret -}}
{{- end -}}

{{- define "profcol.gatewayUrl" -}}
{{- printf "http://%s-gateway.%s.svc:%d" (include "profcol.fullname" .) .Release.Namespace (int .Values.gateway.ingestPort) -}}
{{- end -}}

{{/*
A config with the chart's service settings merged over it: (list $ $config). The admin server
listens on every address at admin.port, with the bearer token file when enabled, and
shutdown_timeout matches the pods' termination grace.
*/}}
{{- define "profcol.withService" -}}
{{- $root := index . 0 -}}
{{- $config := deepCopy (index . 1) -}}
{{- $http := dict "listen_address" "0.0.0.0" "listen_port" (int $root.Values.admin.port) -}}
{{- if $root.Values.admin.bearerToken.enabled -}}
{{- $_ := set $http "bearer_token_file" "/etc/profcol-admin/token" -}}
{{- end -}}
{{- $service := dict "telemetry" (dict "http" $http) "shutdown_timeout" (printf "%ds" (int $root.Values.shutdownTimeoutSeconds)) -}}
{{- $merged := mergeOverwrite $config (dict "service" (mergeOverwrite (deepCopy (default (dict) $config.service)) $service)) -}}
{{- toYaml $merged -}}
{{- end -}}

{{/* The scrape config of (list $ "daemonset"|"sharded"). */}}
{{- define "profcol.scrapeConfig" -}}
{{- $root := index . 0 -}}
{{- $mode := index . 1 -}}
{{- $user := index $root.Values $mode "config" -}}
{{- if $user -}}
{{- include "profcol.withService" (list $root $user) -}}
{{- else -}}
{{- $sd := dict "role" "pod" -}}
{{- $scrape := dict "kubernetes_sd_configs" (list $sd) "profiling_config" $root.Values.scrape.profilingConfig "relabel_configs" $root.Values.scrape.relabelConfigs -}}
{{- if eq $mode "daemonset" -}}
{{- $_ := set $sd "selectors" (list (dict "role" "pod" "field" "spec.nodeName=${env:NODE_NAME}")) -}}
{{- else if eq $root.Values.sharded.mode "clustering" -}}
{{- $_ := set $scrape "clustering" (dict "enabled" true "service" (printf "%s-sharded" (include "profcol.fullname" $root)) "self_address" "${env:POD_IP}") -}}
{{- else if eq $root.Values.sharded.mode "hashmod" -}}
{{- $_ := set $scrape "sharding" (dict "shard_index" "${env:POD_INDEX}" "total_shards" "${env:TOTAL_SHARDS}") -}}
{{- else -}}
{{- fail (printf "sharded.mode must be clustering or hashmod, got %q" $root.Values.sharded.mode) -}}
{{- end -}}
{{- $url := default (include "profcol.gatewayUrl" $root) $root.Values.scrape.writeUrl -}}
{{- $config := dict
  "receivers" (dict "pyroscope.scrape/pods" $scrape)
  "processors" (dict "drop_internal_labels" (dict))
  "exporters" (dict "pyroscope.write/gateway" (dict "endpoint" (list (dict "url" $url))))
  "service" (dict "pipelines" (dict "profiles" (dict "receivers" (list "pyroscope.scrape/pods") "processors" (list "drop_internal_labels") "exporters" (list "pyroscope.write/gateway"))))
-}}
{{- include "profcol.withService" (list $root $config) -}}
{{- end -}}
{{- end -}}

{{/* The gateway's config. */}}
{{- define "profcol.gatewayConfig" -}}
{{- if .Values.gateway.config -}}
{{- include "profcol.withService" (list . .Values.gateway.config) -}}
{{- else -}}
{{- $write := dict "endpoint" (list (dict "url" .Values.gateway.writeUrl)) -}}
{{- if .Values.gateway.spool.enabled -}}
{{- $_ := set $write "queue" (dict "spool" (dict "directory" "/var/lib/profcol/spool" "max_bytes" .Values.gateway.spool.maxBytes)) -}}
{{- end -}}
{{- $config := dict
  "receivers" (dict "pyroscope.receive_http" (dict "http" (dict "listen_address" "0.0.0.0" "listen_port" (int .Values.gateway.ingestPort))))
  "exporters" (dict "pyroscope.write" $write)
  "service" (dict "pipelines" (dict "profiles" (dict "receivers" (list "pyroscope.receive_http") "exporters" (list "pyroscope.write"))))
-}}
{{- include "profcol.withService" (list . $config) -}}
{{- end -}}
{{- end -}}

{{/*
The profcol container: (dict "root" $ "config" "daemonset.yaml" "resources" {...} "env" [...]
"ports" [...] "mounts" [...]).
*/}}
{{- define "profcol.container" -}}
{{- $root := .root -}}
- name: profcol
  image: {{ include "profcol.image" $root }}
  imagePullPolicy: {{ $root.Values.image.pullPolicy }}
  args:
    - run
    - --config
    - /etc/profcol/{{ .config }}
    {{- if $root.Values.watchConfig }}
    - --watch-config
    {{- end }}
  env:
    # V8's old space at half the memory limit (the divisor halves it), set here so the binary
    # need not start itself again to do so (cli/heap_limit.ts).
    - name: PROFCOL_HEAP_MIB
      valueFrom:
        resourceFieldRef: { containerName: profcol, resource: limits.memory, divisor: 2Mi }
    - name: DENO_V8_FLAGS
      value: --max-old-space-size=$(PROFCOL_HEAP_MIB)
    {{- with .env }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  ports:
    - { name: admin, containerPort: {{ $root.Values.admin.port }} }
    {{- with .ports }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  livenessProbe: { httpGet: { path: /-/healthy, port: admin }, periodSeconds: 10 }
  readinessProbe: { httpGet: { path: /-/ready, port: admin }, periodSeconds: 5 }
  resources:
    {{- toYaml .resources | nindent 4 }}
  securityContext:
    {{- toYaml $root.Values.containerSecurityContext | nindent 4 }}
  volumeMounts:
    - { name: config, mountPath: /etc/profcol, readOnly: true }
    - { name: tmp, mountPath: /tmp }
    {{- if $root.Values.admin.bearerToken.enabled }}
    - { name: admin-token, mountPath: /etc/profcol-admin, readOnly: true }
    {{- end }}
    {{- with .mounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}

{{/* The volumes every pod has: (list $ extraVolumes). */}}
{{- define "profcol.volumes" -}}
{{- $root := index . 0 -}}
- name: config
  configMap: { name: {{ include "profcol.fullname" $root }} }
- name: tmp
  emptyDir: { medium: Memory, sizeLimit: 16Mi }
{{- if $root.Values.admin.bearerToken.enabled }}
- name: admin-token
  secret: { secretName: {{ include "profcol.tokenSecretName" $root }}, defaultMode: 0440 }
{{- end }}
{{- with index . 1 }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Pod-level settings shared by every workload: (list $ "daemonset"|"sharded"|"gateway"). */}}
{{- define "profcol.podSettings" -}}
{{- $root := index . 0 -}}
{{- $values := index $root.Values (index . 1) -}}
terminationGracePeriodSeconds: {{ add $root.Values.shutdownTimeoutSeconds $root.Values.terminationGraceExtraSeconds }}
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Pod annotations: the config's checksum (a changed config rolls the pods when watchConfig is off). */}}
{{- define "profcol.podAnnotations" -}}
{{- $root := index . 0 -}}
{{- $values := index $root.Values (index . 1) -}}
{{- $annotations := deepCopy (default (dict) $values.podAnnotations) -}}
{{- if not $root.Values.watchConfig -}}
{{- $_ := set $annotations "checksum/config" (include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum) -}}
{{- end -}}
{{- toYaml $annotations -}}
{{- end -}}
