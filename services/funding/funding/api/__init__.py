"""The funding service's HTTP API."""

from fastapi import APIRouter

from funding.api import centers, clawbacks, grants, policies

ROUTERS: list[APIRouter] = [policies.router, grants.router, centers.router, clawbacks.router]
