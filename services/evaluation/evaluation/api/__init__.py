"""The evaluation service's HTTP API."""

from fastapi import APIRouter

ROUTERS: list[APIRouter] = []
