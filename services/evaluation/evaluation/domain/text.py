"""Bilingual text (zh, en) for the notes and reasons the evaluation domain hands back."""

from pydantic import BaseModel, ConfigDict


class Bilingual(BaseModel):
    """One message in Chinese and in English."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    zh: str
    en: str
