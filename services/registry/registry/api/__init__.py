"""The registry service's HTTP API."""

from fastapi import APIRouter

from registry.api import centers, reference

ROUTERS: list[APIRouter] = [centers.router, reference.router]
