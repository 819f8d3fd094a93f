"""The notification service's HTTP API."""

from fastapi import APIRouter

from notification.api import deliveries, events, inbox, rules, subscriptions, templates

ROUTERS: list[APIRouter] = [
    inbox.router,
    subscriptions.router,
    deliveries.router,
    rules.router,
    templates.router,
    events.router,
]
