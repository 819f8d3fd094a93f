{{/* Name of the chart, overridable. */}}
{{- define "tic.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Prefix of every object name: <release>-tic-platform, or the release name if it already has it. */}}
{{- define "tic.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels on everything of the release. */}}
{{- define "tic.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/part-of: tic-platform
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Values.image.tag | quote }}
{{ include "tic.selectorLabels" . }}
{{- end -}}

{{/* Labels every pod of the release carries (the default-deny NetworkPolicy selects on them). */}}
{{- define "tic.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tic.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Image reference of one service: (dict "root" $ "service" "registry"). */}}
{{- define "tic.image" -}}
{{- $img := .root.Values.image -}}
{{- $ref := printf "%s-%s" $img.repository .service -}}
{{- if $img.registry -}}{{- $ref = printf "%s/%s" $img.registry $ref -}}{{- end -}}
{{- $ref = printf "%s:%s" $ref (required "image.tag is required" $img.tag) -}}
{{- if $img.digest -}}{{- $ref = printf "%s@%s" $ref $img.digest -}}{{- end -}}
{{- $ref -}}
{{- end -}}

{{/* One service's settings: serviceDefaults overridden by services.<name>. Returns YAML. */}}
{{- define "tic.serviceConfig" -}}
{{- $defaults := deepCopy .root.Values.serviceDefaults -}}
{{- $own := deepCopy (default dict (index .root.Values.services .service)) -}}
{{- toYaml (mergeOverwrite $defaults $own) -}}
{{- end -}}

{{/* The service a workload of `services` belongs to: notification-worker runs the notification image as the
notification service (its schema, its NATS user); every other workload is a service of its own. */}}
{{- define "tic.serviceOf" -}}
{{- trimSuffix "-worker" . -}}
{{- end -}}

{{/* Whether a workload of `services` is deployed ("true" or ""): it is enabled, and so is its service. */}}
{{- define "tic.enabled" -}}
{{- $own := include "tic.serviceConfig" . | fromYaml -}}
{{- $of := include "tic.serviceConfig" (dict "root" .root "service" (include "tic.serviceOf" .service)) | fromYaml -}}
{{- if and $own.enabled $of.enabled -}}true{{- end -}}
{{- end -}}

{{/* Whether the notification service's delivery worker runs in a Deployment of its own ("true" or ""). */}}
{{- define "tic.workerApart" -}}
{{- include "tic.enabled" (dict "root" . "service" "notification-worker") -}}
{{- end -}}

{{/* Pod securityContext shared by services and the migration Job. */}}
{{- define "tic.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container securityContext shared by services and the migration Job. */}}
{{- define "tic.containerSecurityContext" -}}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* TIC_DATABASE_URL from the database Secret. */}}
{{- define "tic.databaseEnv" -}}
- name: TIC_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.existingSecret }}
      key: {{ .Values.database.urlKey }}
{{- end -}}

{{/* Egress every pod of the release needs: DNS, and PostgreSQL; services also NATS (not the Job). */}}
{{- define "tic.egressDnsPostgres" -}}
{{- $np := .Values.networkPolicy -}}
- to:
    {{- toYaml $np.dns.to | nindent 4 }}
  ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
- to:
    {{- toYaml $np.postgres.to | nindent 4 }}
  ports:
    - port: {{ $np.postgres.port }}
      protocol: TCP
{{- end -}}

{{- define "tic.egressCommon" -}}
{{- $np := .Values.networkPolicy -}}
{{ include "tic.egressDnsPostgres" . }}
- to:
    {{- toYaml $np.nats.to | nindent 4 }}
  ports:
    - port: {{ $np.nats.port }}
      protocol: TCP
{{- end -}}

{{/* The console's settings: where the four services are inside the cluster, its session key and the identity
provider. Secrets come from the Secrets named in values, never from values themselves. */}}
{{/* Egress of whatever sends notifications: the mail server and webhook receivers. */}}
{{- define "tic.egressSending" -}}
{{- $np := .Values.networkPolicy -}}
- to:
    {{- toYaml $np.smtp.to | nindent 4 }}
  ports:
    - port: {{ $np.smtp.port }}
      protocol: TCP
- to:
    {{- toYaml $np.webhooks.to | nindent 4 }}
  ports:
    {{- range $np.webhooks.ports }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
{{- end -}}

{{- define "tic.consoleEnv" -}}
{{- $console := .Values.console -}}
# Behind the ingress that ends TLS: believe its X-Forwarded-Proto, so the OIDC redirect URI is https. Safe here:
# the console's NetworkPolicy admits only the ingress controller (and Prometheus).
- name: FORWARDED_ALLOW_IPS
  value: "*"
{{- range $service := list "registry" "evaluation" "funding" "notification" }}
- name: TIC_DASHBOARD_{{ upper $service }}_URL
  value: {{ printf "http://%s-%s.%s.svc" (include "tic.fullname" $) $service $.Release.Namespace | quote }}
{{- end }}
- name: TIC_DASHBOARD_SESSION_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $console.sessionSecret.existingSecret }}
      key: {{ $console.sessionSecret.key }}
{{- with $console.oidc }}
{{- if .metadataUrl }}
- name: TIC_DASHBOARD_OIDC_METADATA_URL
  value: {{ .metadataUrl | quote }}
- name: TIC_DASHBOARD_OIDC_CLIENT_ID
  value: {{ .clientId | quote }}
{{- if .clientSecret.existingSecret }}
- name: TIC_DASHBOARD_OIDC_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ .clientSecret.existingSecret }}
      key: {{ .clientSecret.key }}
{{- end }}
- name: TIC_DASHBOARD_OIDC_ROLES_CLAIM
  value: {{ .rolesClaim | quote }}
- name: TIC_DASHBOARD_OIDC_DISTRICT_CLAIM
  value: {{ .districtClaim | quote }}
- name: TIC_DASHBOARD_OIDC_CENTER_CLAIM
  value: {{ .centerClaim | quote }}
- name: TIC_DASHBOARD_OIDC_DEPARTMENT_CLAIM
  value: {{ .departmentClaim | quote }}
{{- with .roleMap }}
- name: TIC_DASHBOARD_OIDC_ROLE_MAP
  value: {{ toJson . | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* A service's NATS credentials, from the Secret (never the ConfigMap), and its TLS files when TLS is on. */}}
{{- define "tic.natsEnv" -}}
{{- $nats := .root.Values.nats -}}
- name: TIC_NATS_USER
  valueFrom:
    secretKeyRef:
      name: {{ $nats.auth.existingSecret }}
      key: {{ .service }}-user
- name: TIC_NATS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $nats.auth.existingSecret }}
      key: {{ .service }}-password
{{- if $nats.tls.existingSecret }}
- name: TIC_NATS_TLS_CA_FILE
  value: /etc/tic/nats-tls/ca.crt
{{- if $nats.tls.clientCertificate }}
- name: TIC_NATS_TLS_CERT_FILE
  value: /etc/tic/nats-tls/tls.crt
- name: TIC_NATS_TLS_KEY_FILE
  value: /etc/tic/nats-tls/tls.key
{{- end }}
{{- end }}
{{- end }}
