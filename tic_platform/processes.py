"""The platform's processes as `tic dev` and the fault suite run them: each service's app, and the notification
service's delivery worker beside it (as the Helm chart and docker-compose.yml deploy it)."""

from __future__ import annotations

from dataclasses import dataclass, field

SERVICES = ("registry", "evaluation", "funding", "notification")


@dataclass(frozen=True)
class Process:
    name: str
    service: str
    """The service it belongs to: its schema, its NATS user, its settings."""
    factory: str
    """The app factory uvicorn runs."""
    dev_port: int
    env: dict[str, str] = field(default_factory=dict)
    """Settings of this process beyond its service's."""

    @property
    def serves_api(self) -> bool:
        return self.name == self.service


PROCESSES = (
    Process("registry", "registry", "registry.main:create_app", 8101),
    Process("evaluation", "evaluation", "evaluation.main:create_app", 8102),
    Process("funding", "funding", "funding.main:create_app", 8103),
    # Fans events out and serves the API; sending is the worker's.
    Process(
        "notification", "notification", "notification.main:create_app", 8104, {"TIC_DELIVERY_WORKER_ENABLED": "false"}
    ),
    # Sends the e-mails and webhooks the consumers queue; serves only /healthz, /readyz and /metrics.
    Process("notification-worker", "notification", "notification.main:create_worker_app", 8105),
)


def of_service(service: str) -> list[Process]:
    return [process for process in PROCESSES if process.service == service]
