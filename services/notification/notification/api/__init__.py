"""The notification service's HTTP API."""

from fastapi import APIRouter

from notification.api import events

ROUTERS: list[APIRouter] = [events.router]
