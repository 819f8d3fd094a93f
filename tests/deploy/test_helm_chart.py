"""The Helm chart: strict lint, strict Kubernetes schemas, and what every object must have."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes_validate
import pytest
import yaml

from dashboard.settings import DashboardSettings

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "tic-platform"
EXAMPLES = REPO / "deploy" / "helm" / "examples"
SERVICES = ("registry", "evaluation", "funding", "notification")
WORKER = "notification-worker"  # the notification service's delivery worker, in pods of its own
# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the newest schemas shipped.
KUBE_VERSIONS = ("1.29.0", "1.37.0")

Manifest = dict[str, Any]


def of_kind(objects: list[Manifest], kind: str) -> dict[str, Manifest]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def component(obj: Manifest) -> str:
    return obj["metadata"]["labels"].get("app.kubernetes.io/component", "")


def by_component(objects: list[Manifest], kind: str) -> dict[str, Manifest]:
    return {component(o): o for o in objects if o["kind"] == kind and component(o)}


def hook(obj: Manifest) -> dict[str, str]:
    annotations = obj["metadata"].get("annotations") or {}
    return {k.removeprefix("helm.sh/"): v for k, v in annotations.items() if k.startswith("helm.sh/hook")}


# --- lint and schemas ---------------------------------------------------------------------------------


@pytest.mark.parametrize("values_file", [None, EXAMPLES / "values-production.yaml"], ids=["default", "production"])
def test_chart_lints_clean_in_strict_mode(values_file: Path | None) -> None:
    values = yaml.safe_load(values_file.read_text()) if values_file else None
    report = helm.lint(CHART, values, strict=True, namespace="tic", kube_version="v1.29.0")
    findings = [m for m in report["messages"] if m["severity"] >= 2]  # warnings and errors
    assert report["total_charts_linted"] == 1
    assert not report["errors"], report["errors"]
    assert not findings, findings


def test_every_rendered_object_validates_strictly_against_kubernetes(manifests: list[Manifest]) -> None:
    problems = []
    for obj in manifests:
        for version in KUBE_VERSIONS:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                where = ".".join(str(p) for p in exc.path)
                problems.append(f"{obj['kind']}/{obj['metadata']['name']} @ {version}: {where}: {exc.message}")
    assert not problems, "\n".join(problems)


def test_every_object_is_namespaced_and_labelled(manifests: list[Manifest]) -> None:
    for obj in manifests:
        meta = obj["metadata"]
        assert meta["namespace"] == "tic", obj["kind"]
        assert meta["labels"]["app.kubernetes.io/instance"] == "tic-platform"
        assert meta["labels"]["app.kubernetes.io/part-of"] == "tic-platform"


# --- per service ----------------------------------------------------------------------------------------


def test_every_service_has_its_objects(manifests: list[Manifest]) -> None:
    for kind in (
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "ServiceAccount",
    ):
        assert {*SERVICES, WORKER, "dashboard"} <= set(by_component(manifests, kind)), kind


def test_every_deployment_has_three_probes_resources_and_a_locked_down_security_context(
    manifests: list[Manifest],
) -> None:
    for name, deploy in of_kind(manifests, "Deployment").items():
        pod = deploy["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        (container,) = pod["containers"]
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz", name
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
        resources = container["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"]), name
        assert "memory" in resources["limits"], name
        sc = container["securityContext"]
        assert sc["runAsNonRoot"] is True and sc["runAsUser"] >= 10000, name
        assert sc["readOnlyRootFilesystem"] is True, name
        assert sc["allowPrivilegeEscalation"] is False, name
        assert sc["capabilities"]["drop"] == ["ALL"], name
        assert "add" not in sc["capabilities"], name
        assert sc["seccompProfile"] == {"type": "RuntimeDefault"}, name
        # the read-only root needs a writable /tmp
        tmp = next(m for m in container["volumeMounts"] if m["mountPath"] == "/tmp")
        assert "emptyDir" in next(v for v in pod["volumes"] if v["name"] == tmp["name"]), name


def test_deployments_serve_their_service_on_8000_with_time_to_drain(manifests: list[Manifest]) -> None:
    for svc, deploy in by_component(manifests, "Deployment").items():
        pod = deploy["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        factory = "notification.main:create_worker_app" if svc == WORKER else f"{svc}.main:create_app"
        assert container["command"] == ["uvicorn"]
        assert container["args"][:2] == ["--factory", factory]
        assert container["ports"][0]["containerPort"] == 8000
        assert container["image"].endswith(f"-{svc.removesuffix('-worker')}:0.1.0")
        # the pod is given longer than the preStop sleep plus uvicorn's graceful shutdown
        assert pod["terminationGracePeriodSeconds"] > 5 + 25


def test_no_fixed_replicas_while_the_hpa_owns_them(render: Callable[..., list[Manifest]]) -> None:
    with_hpa = render({})
    assert all("replicas" not in d["spec"] for d in of_kind(with_hpa, "Deployment").values())
    without_hpa = render({"serviceDefaults": {"autoscaling": {"enabled": False}, "replicas": 2}})
    assert not of_kind(without_hpa, "HorizontalPodAutoscaler")
    assert all(d["spec"]["replicas"] == 2 for d in of_kind(without_hpa, "Deployment").values())


def test_hpas_are_autoscaling_v2_on_their_own_deployment(manifests: list[Manifest]) -> None:
    deployments = of_kind(manifests, "Deployment")
    for hpa in of_kind(manifests, "HorizontalPodAutoscaler").values():
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


def test_pdbs_and_services_select_exactly_their_pods(manifests: list[Manifest]) -> None:
    deployments = by_component(manifests, "Deployment")
    for kind in ("PodDisruptionBudget", "Service"):
        for svc, obj in by_component(manifests, kind).items():
            selector = obj["spec"]["selector"]
            selector = selector.get("matchLabels", selector)
            pod_labels = deployments[svc]["spec"]["template"]["metadata"]["labels"]
            assert selector.items() <= pod_labels.items(), (kind, svc)
            assert selector["app.kubernetes.io/component"] == svc


def test_a_disabled_service_leaves_nothing_behind(render: Callable[..., list[Manifest]]) -> None:
    objects = render({"services": {"funding": {"enabled": False}}})
    assert not [o for o in objects if component(o) == "funding"]
    assert "registry" in by_component(objects, "Deployment")
    # the delivery worker goes with its service
    objects = render({"services": {"notification": {"enabled": False}}})
    assert not [o for o in objects if component(o) in ("notification", WORKER)]


def test_the_delivery_worker_sends_and_the_notification_pods_do_not(render: Callable[..., list[Manifest]]) -> None:
    """By default the worker runs apart: the notification pods turn theirs off and lose the egress to SMTP and
    webhooks, which only the worker's pods have. Without the worker Deployment, the notification pods send."""
    for objects, apart in ((render({}), True), (render({"services": {WORKER: {"enabled": False}}}), False)):
        env = _env_of(objects, "notification")
        policies = by_component(objects, "NetworkPolicy")
        if apart:
            assert env["TIC_DELIVERY_WORKER_ENABLED"]["value"] == "false"
            assert not {587, 443} & egress_ports(policies["notification"])
            worker = _env_of(objects, WORKER)
            assert "TIC_DELIVERY_WORKER_ENABLED" not in worker
            # the same service to everything it talks to: its schema's URL, its NATS user, its SMTP
            for name in ("TIC_DATABASE_URL", "TIC_NATS_USER", "TIC_SMTP_HOST", "TIC_WEBHOOK_SECRET_KEY"):
                assert worker[name] == env[name], name
            assert {587, 443} <= egress_ports(policies[WORKER])
            (ingress,) = policies[WORKER]["spec"]["ingress"]
            assert not [peer for peer in ingress["from"] if "podSelector" in peer], "the console has nothing to call"
        else:
            assert "TIC_DELIVERY_WORKER_ENABLED" not in env
            assert {587, 443} <= egress_ports(policies["notification"])
            assert WORKER not in by_component(objects, "Deployment")


# --- network policy -------------------------------------------------------------------------------------


def egress_ports(policy: Manifest) -> set[int]:
    return {p["port"] for rule in policy["spec"].get("egress", []) for p in rule.get("ports", [])}


def test_a_default_deny_policy_covers_every_pod_of_the_release(manifests: list[Manifest]) -> None:
    deny = next(p for p in of_kind(manifests, "NetworkPolicy").values() if p["metadata"]["name"].endswith("-deny"))
    assert deny["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in deny["spec"] and "egress" not in deny["spec"]
    selector = deny["spec"]["podSelector"]["matchLabels"]
    pods = [d["spec"]["template"] for d in of_kind(manifests, "Deployment").values()]
    pods += [j["spec"]["template"] for j in of_kind(manifests, "Job").values()]
    for pod in pods:
        assert selector.items() <= pod["metadata"]["labels"].items()


def test_service_policies_open_only_what_each_service_needs(manifests: list[Manifest]) -> None:
    policies = by_component(manifests, "NetworkPolicy")
    for svc in SERVICES:
        spec = policies[svc]["spec"]
        (ingress,) = spec["ingress"]
        assert ingress["ports"] == [{"port": 8000, "protocol": "TCP"}]
        assert ingress["from"], "an ingress rule without peers would admit everyone"
        ports = egress_ports(policies[svc])
        assert {53, 4222, 5432} <= ports, svc
        for rule in spec["egress"]:
            assert rule["to"], f"{svc}: an egress rule without peers would allow any destination"
    for svc in ("registry", "evaluation", "funding"):
        assert 587 not in egress_ports(policies[svc])


def test_notification_egress_is_configurable(render: Callable[..., list[Manifest]]) -> None:
    smtp_peer = [{"ipBlock": {"cidr": "198.51.100.7/32"}}]
    objects = render(
        {"networkPolicy": {"smtp": {"port": 2525, "to": smtp_peer}, "webhooks": {"ports": [8443], "to": smtp_peer}}}
    )
    policy = by_component(objects, "NetworkPolicy")[WORKER]
    rules = {rule["ports"][0]["port"]: rule["to"] for rule in policy["spec"]["egress"]}
    assert rules[2525] == smtp_peer
    assert rules[8443] == smtp_peer
    assert 587 not in rules


def test_jwks_egress_only_when_a_jwks_url_is_used(render: Callable[..., list[Manifest]]) -> None:
    without = render({})
    assert 443 not in egress_ports(by_component(without, "NetworkPolicy")["registry"])
    with_jwks = render({"auth": {"jwksUrl": "https://id.example.gov/jwks", "publicKey": {"existingSecret": ""}}})
    assert 443 in egress_ports(by_component(with_jwks, "NetworkPolicy")["registry"])
    (container,) = by_component(with_jwks, "Deployment")["registry"]["spec"]["template"]["spec"]["containers"]
    env = {e["name"] for e in container["env"]}
    assert "TIC_JWT_PUBLIC_KEY" not in env


# --- migrations hook ------------------------------------------------------------------------------------


def test_migrations_run_as_an_ordered_pre_install_pre_upgrade_hook(manifests: list[Manifest]) -> None:
    hooks = [o for o in manifests if hook(o)]
    (job,) = [o for o in hooks if o["kind"] == "Job"]
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["tic", "migrate"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    for obj in hooks:
        assert set(hook(obj)["hook"].split(",")) == {"pre-install", "pre-upgrade"}, obj["kind"]
        assert "before-hook-creation" in hook(obj)["hook-delete-policy"], obj["kind"]
    # what the Job needs exists before it: its ServiceAccount and its NetworkPolicy carry lower weights
    job_weight = int(hook(job)["hook-weight"])
    pod = job["spec"]["template"]["spec"]
    before = {(o["kind"], o["metadata"]["name"]) for o in hooks if int(hook(o)["hook-weight"]) < job_weight}
    assert ("ServiceAccount", pod["serviceAccountName"]) in before
    assert ("NetworkPolicy", job["metadata"]["name"]) in before
    # nothing the Job reads may be a chart object, which would not exist yet on the first install
    assert "envFrom" not in pod["containers"][0]
    chart_objects = {o["metadata"]["name"] for o in manifests if not hook(o)}
    for env in pod["containers"][0]["env"]:
        ref = env.get("valueFrom", {}).get("secretKeyRef")
        assert ref is None or ref["name"] not in chart_objects


def test_the_migration_job_is_locked_down_like_the_services(manifests: list[Manifest]) -> None:
    (job,) = of_kind(manifests, "Job").values()
    pod = job["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    sc = pod["containers"][0]["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True and sc["capabilities"]["drop"] == ["ALL"]
    policy = next(p for p in of_kind(manifests, "NetworkPolicy").values() if component(p) == "migrations")
    assert policy["spec"]["ingress"] == []
    assert egress_ports(policy) == {53, 5432}


# --- settings -------------------------------------------------------------------------------------------

# The settings the services read (their runtime contract), and uvicorn's own.
KNOWN_SETTINGS = {
    "TIC_ENVIRONMENT",
    "TIC_DATABASE_URL",
    "TIC_NATS_URL",
    "TIC_NATS_USER",
    "TIC_NATS_PASSWORD",
    "TIC_NATS_TLS_CA_FILE",
    "TIC_NATS_TLS_CERT_FILE",
    "TIC_NATS_TLS_KEY_FILE",
    "TIC_JWT_PUBLIC_KEY",
    "TIC_JWKS_URL",
    "TIC_JWT_ISSUER",
    "TIC_JWT_AUDIENCE",
    "TIC_LOG_LEVEL",
    "TIC_SMTP_HOST",
    "TIC_SMTP_PORT",
    "TIC_SMTP_USERNAME",
    "TIC_SMTP_PASSWORD",
    "TIC_SMTP_STARTTLS",
    "TIC_SMTP_FROM",
    "TIC_WEBHOOK_SECRET_KEY",
    "TIC_DELIVERY_WORKER_ENABLED",
    *(f"TIC_{svc.upper()}_DATABASE_URL" for svc in SERVICES),
    "UVICORN_WORKERS",
    "UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN",
    "FORWARDED_ALLOW_IPS",
    "TIC_STREAM_REPLICAS",  # uvicorn's: the console believes the ingress's X-Forwarded-Proto
    *(f"TIC_DASHBOARD_{name.upper()}" for name in DashboardSettings.model_fields),
}


def test_settings_use_the_names_the_services_read(manifests: list[Manifest]) -> None:
    names = set()
    for cm in of_kind(manifests, "ConfigMap").values():
        names |= set(cm["data"])
    for workload in [*of_kind(manifests, "Deployment").values(), *of_kind(manifests, "Job").values()]:
        for container in workload["spec"]["template"]["spec"]["containers"]:
            names |= {e["name"] for e in container.get("env", [])}
    assert names <= KNOWN_SETTINGS, names - KNOWN_SETTINGS
    assert {"TIC_DATABASE_URL", "TIC_NATS_URL", "TIC_ENVIRONMENT"} <= names


def test_secrets_are_referenced_never_rendered(manifests: list[Manifest]) -> None:
    assert not of_kind(manifests, "Secret")
    notification = by_component(manifests, "Deployment")["notification"]["spec"]["template"]["spec"]
    env = {e["name"]: e for e in notification["containers"][0]["env"]}
    assert "secretKeyRef" in env["TIC_DATABASE_URL"]["valueFrom"]
    assert env["TIC_SMTP_HOST"]["value"]


def test_the_webhook_secret_key_comes_from_a_secret(render: Callable[..., list[Manifest]]) -> None:
    objects = render({"webhooks": {"secretKey": {"existingSecret": "tic-webhook-key", "key": "key"}}})
    notification = by_component(objects, "Deployment")["notification"]["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in notification["env"]}
    assert env["TIC_WEBHOOK_SECRET_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "tic-webhook-key", "key": "key"}
    registry = by_component(objects, "Deployment")["registry"]["spec"]["template"]["spec"]["containers"][0]
    assert "TIC_WEBHOOK_SECRET_KEY" not in {e["name"] for e in registry.get("env", [])}


def test_a_per_service_database_url_reaches_the_service_and_the_migrations(
    render: Callable[..., list[Manifest]],
) -> None:
    objects = render({"services": {"funding": {"database": {"existingSecret": "tic-funding-db", "urlKey": "uri"}}}})
    funding = by_component(objects, "Deployment")["funding"]["spec"]["template"]["spec"]["containers"][0]
    (job,) = of_kind(objects, "Job").values()
    for container in (funding, job["spec"]["template"]["spec"]["containers"][0]):
        env = {e["name"]: e for e in container["env"]}
        assert env["TIC_FUNDING_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": "tic-funding-db", "key": "uri"}


# --- examples -------------------------------------------------------------------------------------------


def test_production_example_runs_three_replicas_everywhere(rendered: dict[str, list[Manifest]]) -> None:
    production = rendered["production"]
    for svc, hpa in by_component(production, "HorizontalPodAutoscaler").items():
        assert hpa["spec"]["minReplicas"] >= 3, svc
    assert of_kind(production, "Ingress")
    nats = yaml.safe_load((EXAMPLES / "nats-values.yaml").read_text())
    assert nats["config"]["cluster"] == {"enabled": True, "replicas": 3}
    # …and every stream is kept on all three of its nodes.
    (settings,) = of_kind(production, "ConfigMap").values()
    assert settings["data"]["TIC_STREAM_REPLICAS"] == "3"
    assert nats["config"]["jetstream"]["enabled"] is True
    assert nats["config"]["jetstream"]["fileStore"]["enabled"] is True
    example = {doc["kind"]: doc for doc in yaml.safe_load_all((EXAMPLES / "cnpg-cluster.yaml").read_text())}
    cnpg = example["Cluster"]
    assert cnpg["spec"]["instances"] == 3
    # the chart's default database secret and network peer match the CloudNativePG example
    values = yaml.safe_load((EXAMPLES / "values-production.yaml").read_text())
    assert values["database"]["existingSecret"] == f"{cnpg['metadata']['name']}-app"
    assert values["networkPolicy"]["postgres"]["to"][0]["podSelector"]["matchLabels"] == {
        "cnpg.io/cluster": cnpg["metadata"]["name"]
    }


def test_the_database_example_is_backed_up_nightly_with_its_wal_archived_and_restores_into_a_new_cluster() -> None:
    example = {doc["kind"]: doc for doc in yaml.safe_load_all((EXAMPLES / "cnpg-cluster.yaml").read_text())}
    cluster, store, nightly = example["Cluster"], example["ObjectStore"], example["ScheduledBackup"]
    assert "backup" not in cluster["spec"]  # the deprecated in-tree barmanObjectStore
    (plugin,) = cluster["spec"]["plugins"]
    assert plugin["name"] == "barman-cloud.cloudnative-pg.io" and plugin["isWALArchiver"] is True
    assert plugin["parameters"]["barmanObjectName"] == store["metadata"]["name"]
    assert store["apiVersion"] == "barmancloud.cnpg.io/v1" and store["spec"]["retentionPolicy"] == "30d"
    assert nightly["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    assert nightly["spec"]["method"] == "plugin"
    assert nightly["spec"]["pluginConfiguration"]["name"] == plugin["name"]
    assert len(nightly["spec"]["schedule"].split()) == 6  # CloudNativePG's cron has seconds first
    restored = yaml.safe_load((EXAMPLES / "cnpg-restore.yaml").read_text())
    (source,) = restored["spec"]["externalClusters"]
    assert restored["spec"]["bootstrap"]["recovery"]["source"] == source["name"]
    assert source["plugin"]["parameters"] == {
        "barmanObjectName": store["metadata"]["name"],
        "serverName": cluster["metadata"]["name"],
    }
    # the restored cluster archives under its own name: it never writes over the backups it came from
    assert restored["spec"]["plugins"][0]["parameters"]["serverName"] == restored["metadata"]["name"]


# --- the console ----------------------------------------------------------------------------------------


def test_the_console_holds_no_database_or_broker_and_reads_its_secrets_from_secrets(
    manifests: list[Manifest],
) -> None:
    pod = by_component(manifests, "Deployment")["dashboard"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["FORWARDED_ALLOW_IPS"]["value"] == "*"  # an https redirect URI behind a TLS-ending ingress
    assert not {name for name in env if "DATABASE" in name}
    assert env["TIC_DASHBOARD_SESSION_SECRET"]["valueFrom"]["secretKeyRef"]["name"]
    for svc in SERVICES:
        assert env[f"TIC_DASHBOARD_{svc.upper()}_URL"]["value"] == f"http://tic-platform-{svc}.tic.svc"
    policy = by_component(manifests, "NetworkPolicy")["dashboard"]
    assert egress_ports(policy) <= {53, 8000, 443}
    assert 5432 not in egress_ports(policy) and 4222 not in egress_ports(policy)


def test_the_services_admit_the_console_of_their_own_release_only(manifests: list[Manifest]) -> None:
    console_labels = by_component(manifests, "Deployment")["dashboard"]["spec"]["template"]["metadata"]["labels"]
    for svc in SERVICES:
        (ingress,) = by_component(manifests, "NetworkPolicy")[svc]["spec"]["ingress"]
        selectors = [peer["podSelector"]["matchLabels"] for peer in ingress["from"] if "podSelector" in peer]
        assert any(
            sel.items() <= console_labels.items() and sel.get("app.kubernetes.io/instance") for sel in selectors
        ), svc


def test_the_console_signs_people_in_with_the_identity_provider_in_production(
    rendered: dict[str, list[Manifest]],
) -> None:
    pod = by_component(rendered["production"], "Deployment")["dashboard"]["spec"]["template"]["spec"]
    env = {e["name"]: e for e in pod["containers"][0]["env"]}
    assert env["TIC_DASHBOARD_OIDC_METADATA_URL"]["value"].startswith("https://")
    assert env["TIC_DASHBOARD_OIDC_CLIENT_SECRET"]["valueFrom"]["secretKeyRef"]
    assert 443 in egress_ports(by_component(rendered["production"], "NetworkPolicy")["dashboard"])
    ingress = next(iter(of_kind(rendered["production"], "Ingress").values()))
    backends = {p["backend"]["service"]["name"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]}
    assert "tic-platform-dashboard" in backends


# --- monitoring -----------------------------------------------------------------------------------------


def _metric_names() -> set[str]:
    """Every metric the code defines, with the suffixes Prometheus exposes for counters and histograms."""
    import re

    sources = [REPO / "shared" / "tic_shared" / "metrics.py", REPO / "services/notification/notification/worker.py"]
    kinds = re.findall(r'(Counter|Gauge|Histogram)\(\s*"(tic_\w+)"', "".join(p.read_text() for p in sources))
    names: set[str] = set()
    for kind, name in kinds:
        names |= {
            "Counter": {f"{name}_total"},
            "Gauge": {name},
            "Histogram": {f"{name}_count", f"{name}_sum", f"{name}_bucket"},
        }[kind]
    return names


def test_the_alerts_watch_metrics_the_services_really_export(render: Callable[..., list[Manifest]]) -> None:
    import re

    objects = render(
        {
            "monitoring": {
                "serviceMonitor": {"enabled": True, "interval": "30s"},
                "rules": {
                    "enabled": True,
                    "outboxAgeSeconds": 300,
                    "deliveryDueSeconds": 300,
                    "consumerPending": 1000,
                    "serverErrorRatio": 0.02,
                },
            }
        }
    )
    (monitor,) = of_kind(objects, "ServiceMonitor").values()
    services = of_kind(objects, "Service").values()
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert all(selector.items() <= s["metadata"]["labels"].items() for s in services)
    assert monitor["spec"]["endpoints"] == [{"port": "http", "path": "/metrics", "interval": "30s"}]
    (rule,) = of_kind(objects, "PrometheusRule").values()
    alerts = {r["alert"]: r for group in rule["spec"]["groups"] for r in group["rules"]}
    assert set(alerts) == {
        "TicOutboxStuck",
        "TicConsumerLag",
        "TicDeadLetters",
        "TicDeliveriesFailing",
        "TicDeliveriesUnsent",
        "TicServerErrors",
        "TicNatsDegraded",
    }
    known = _metric_names()
    for name, alert in alerts.items():
        used = set(re.findall(r"\b(tic_\w+)\{", alert["expr"]))
        assert used and used <= known, f"{name} watches {used - known}, which nothing exports"
        assert alert["annotations"]["runbook"].startswith("docs/OPERATIONS.md#")
        anchor = alert["annotations"]["runbook"].split("#")[1]
        assert f"## {name}" in (REPO / "docs" / "OPERATIONS.md").read_text() and anchor == name.lower()


def test_monitoring_objects_are_off_unless_asked_for(manifests: list[Manifest]) -> None:
    assert not of_kind(manifests, "ServiceMonitor") and not of_kind(manifests, "PrometheusRule")


def test_the_production_ingress_exposes_the_apis_and_the_console_never_metrics(
    rendered: dict[str, list[Manifest]],
) -> None:
    ingress = next(iter(of_kind(rendered["production"], "Ingress").values()))
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            service = path["backend"]["service"]["name"].removeprefix("tic-platform-")
            if service == "dashboard":
                assert path["path"] == "/"  # the console's own pages; it has no API to hide
            else:
                assert path["path"] == "/api/v1", (service, path["path"])  # /metrics, /docs stay inside


def test_gateway_routes_expose_the_apis_and_the_console_only(render: Callable[..., list[Manifest]]) -> None:
    objects = render(
        {
            "gateway": {
                "enabled": True,
                "parentRefs": [{"name": "gov-gateway", "namespace": "gateway-system"}],
                "routes": [
                    {"host": "tic.example.gov", "service": "dashboard"},
                    {"host": "registry.tic.example.gov", "service": "registry"},
                ],
            }
        }
    )
    routes = of_kind(objects, "HTTPRoute")
    services = {s["metadata"]["name"] for s in of_kind(objects, "Service").values()}
    prefixes = {}
    for route in routes.values():
        (rule,) = route["spec"]["rules"]
        (backend,) = rule["backendRefs"]
        assert backend["name"] in services and backend["port"] == 80
        prefixes[backend["name"]] = rule["matches"][0]["path"]["value"]
    assert prefixes == {"tic-platform-dashboard": "/", "tic-platform-registry": "/api/v1"}
    assert not of_kind(render({}), "HTTPRoute")


def test_the_keda_example_scales_a_real_deployment_on_a_real_consumer(rendered: dict[str, list[Manifest]]) -> None:
    keda = yaml.safe_load((EXAMPLES / "keda-scaledobject.yaml").read_text())
    deployments = {d["metadata"]["name"] for d in of_kind(rendered["production"], "Deployment").values()}
    assert keda["spec"]["scaleTargetRef"]["name"] in deployments
    (trigger,) = keda["spec"]["triggers"]
    from notification.main import create_app
    from tic_shared.streams import stream_name

    # The notification service's durable consumer is named after it, on each producer's stream it reads.
    assert trigger["metadata"]["consumer"] == "notification"
    assert "registry" in create_app().state.handlers.producers()
    assert trigger["metadata"]["stream"] == stream_name("registry")
    assert keda["metadata"]["namespace"] == "tic"


# --- NATS credentials (issue 12) ---------------------------------------------------------------------------


def _env_of(objects: list[Manifest], component_name: str) -> dict[str, Manifest]:
    container = by_component(objects, "Deployment")[component_name]["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e for e in container.get("env", [])}


def test_each_service_connects_to_nats_as_itself_with_credentials_from_a_secret(manifests: list[Manifest]) -> None:
    for svc in SERVICES:
        env = _env_of(manifests, svc)
        assert env["TIC_NATS_USER"]["valueFrom"]["secretKeyRef"] == {"name": "tic-nats", "key": f"{svc}-user"}
        assert env["TIC_NATS_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "tic-nats", "key": f"{svc}-password"}
    for cm in of_kind(manifests, "ConfigMap").values():
        assert not {name for name in cm["data"] if name.startswith("TIC_NATS_") and name != "TIC_NATS_URL"}
    assert not {name for name in _env_of(manifests, "dashboard") if "NATS" in name}


def test_nats_tls_files_come_from_a_mounted_secret(render: Callable[..., list[Manifest]]) -> None:
    objects = render(
        {
            "nats": {
                "url": "tls://nats.nats.svc.cluster.local:4222",
                "tls": {"existingSecret": "tic-nats-tls", "clientCertificate": True},
            }
        }
    )
    for svc in SERVICES:
        env = _env_of(objects, svc)
        assert env["TIC_NATS_TLS_CA_FILE"]["value"] == "/etc/tic/nats-tls/ca.crt"
        assert env["TIC_NATS_TLS_CERT_FILE"]["value"] == "/etc/tic/nats-tls/tls.crt"
        assert env["TIC_NATS_TLS_KEY_FILE"]["value"] == "/etc/tic/nats-tls/tls.key"
        pod = by_component(objects, "Deployment")[svc]["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["nats-tls"]["secret"]["secretName"] == "tic-nats-tls"
        mounts = {m["name"]: m for m in pod["containers"][0]["volumeMounts"]}
        assert mounts["nats-tls"] == {"name": "nats-tls", "mountPath": "/etc/tic/nats-tls", "readOnly": True}
    without = render({})
    assert "TIC_NATS_TLS_CA_FILE" not in _env_of(without, "funding")
    assert "nats-tls" not in {
        v["name"] for v in by_component(without, "Deployment")["funding"]["spec"]["template"]["spec"]["volumes"]
    }


def test_the_nats_example_gives_each_service_its_own_subjects_only() -> None:
    """The example NATS release enforces exactly the allow-lists the dev and test NATS enforce."""
    from tic_shared.nats_access import ADMIN_USER, permissions

    nats = yaml.safe_load((EXAMPLES / "nats-values.yaml").read_text())
    users = {u["user"]: u for u in nats["config"]["merge"]["authorization"]["users"]}
    assert set(users) == {*SERVICES, ADMIN_USER}
    env = nats["container"]["env"]
    for name, user in users.items():
        # The password is an environment variable of the NATS container, read from the Secret: never inline.
        variable = user["password"].removeprefix("<< $").removesuffix(" >>")
        assert env[variable]["valueFrom"]["secretKeyRef"] == {"name": "tic-nats", "key": f"{name}-password"}
        if name == ADMIN_USER:
            continue
        allowed = permissions(name)
        assert user["permissions"]["publish"]["allow"] == allowed["publish"]
        assert user["permissions"]["subscribe"]["allow"] == allowed["subscribe"]
        assert [s for s in allowed["publish"] if s.startswith("tic.")] == [f"tic.{name}.>"]
