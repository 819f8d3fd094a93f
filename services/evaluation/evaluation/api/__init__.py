"""The evaluation service's HTTP API."""

from fastapi import APIRouter

from evaluation.api import centers, evaluations, indicators, plans, rounds

ROUTERS: list[APIRouter] = [indicators.router, centers.router, rounds.router, evaluations.router, plans.router]
