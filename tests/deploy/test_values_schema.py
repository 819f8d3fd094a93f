"""values.schema.json refuses bad values before anything reaches the cluster."""

from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "tic-platform"


def validate(overrides: dict[str, Any]) -> None:
    """What `helm install -f overrides.yaml` checks: the overrides merged onto values.yaml, against the schema.

    validate_schema merges onto the chart's defaults itself, so a null removes a default as it would at install.
    """
    with helm.Chart.load(CHART) as chart:
        chart.validate_schema(overrides)


def test_the_defaults_pass() -> None:
    validate({})


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"serviceDefaults": {"replicas": -1}}, id="negative-replicas"),
        pytest.param({"services": {"funding": {"replicas": -3}}}, id="negative-replicas-of-one-service"),
        # null removes the key from the merged values, as `--set image.tag=null` does
        pytest.param({"image": {"tag": None}}, id="missing-image-tag"),
        pytest.param({"image": {"tag": ""}}, id="empty-image-tag"),
        pytest.param({"image": {"tag": "latest"}}, id="latest-image-tag"),
        pytest.param({"image": {"digest": "md5:abc"}}, id="malformed-digest"),
        pytest.param({"environment": "staging"}, id="unknown-environment"),
        pytest.param({"serviceDefaults": {"replica": 2}}, id="misspelt-key"),
        pytest.param({"services": {"payments": {"enabled": True}}}, id="unknown-service"),
        pytest.param({"serviceDefaults": {"resources": {"limits": {"memory": None}}}}, id="no-memory-limit"),
        pytest.param({"serviceDefaults": {"autoscaling": {"minReplicas": 0}}}, id="hpa-min-zero"),
        pytest.param({"nats": {"url": "http://nats:4222"}}, id="nats-url-not-nats"),
        pytest.param({"nats": {"url": "nats://funding:pw@nats:4222"}}, id="nats-password-in-the-url"),
        pytest.param({"nats": {"auth": {"existingSecret": ""}}}, id="nats-without-credentials"),
        pytest.param({"nats": {"auth": None}}, id="nats-open"),
        pytest.param({"nats": {"tls": {"existingSecret": "Not_A_Name"}}}, id="nats-tls-secret-malformed"),
        pytest.param({"smtp": {"port": 70000}}, id="smtp-port-out-of-range"),
        pytest.param({"auth": {"publicKey": {"existingSecret": ""}}}, id="production-without-a-jwt-key"),
        pytest.param({"webhooks": {"secretKey": {"existingSecret": ""}}}, id="production-without-a-webhook-key"),
        pytest.param({"server": {"workers": 0}}, id="zero-workers"),
        pytest.param(
            {
                "ingress": {
                    "enabled": True,
                    "hosts": [{"host": "tic.example.gov", "paths": [{"path": "/", "service": "x"}]}],
                }
            },
            id="ingress-to-unknown-service",
        ),
    ],
)
def test_bad_values_are_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(helm.HelmValuesError):
        validate(overrides)


def test_rendering_refuses_bad_values_too() -> None:
    with helm.Chart.load(CHART) as chart, pytest.raises(helm.HelmValuesError, match="tag"):
        chart.render({"image": {"tag": None}}, name="tic-platform", namespace="tic")


def test_development_may_use_the_built_in_key() -> None:
    validate({"environment": "development", "auth": {"publicKey": {"existingSecret": ""}}})


def test_every_example_values_file_passes() -> None:
    for path in sorted((REPO / "deploy" / "helm" / "examples").glob("values-*.yaml")):
        validate(yaml.safe_load(path.read_text()))
