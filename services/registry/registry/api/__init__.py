"""The registry service's HTTP API."""

from fastapi import APIRouter

from registry.api import centers, lifecycle, reference

ROUTERS: list[APIRouter] = [centers.router, lifecycle.router, reference.router]
