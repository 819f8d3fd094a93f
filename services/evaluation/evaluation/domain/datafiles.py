"""Reading the evaluation package's own TOML data files — the only I/O the domain does."""

import re
import tomllib
from importlib import resources
from typing import Any

_CODE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class UnknownDataFile(LookupError):
    """No data file of that kind carries that code."""


def _folder(kind: str) -> Any:
    return resources.files("evaluation").joinpath("data", kind)


def list_codes(kind: str) -> list[str]:
    """The codes of the data files of one kind (`indicator_systems`, `rules`), sorted."""
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in _folder(kind).iterdir()
        if entry.name.endswith(".toml") and _CODE.match(entry.name.removesuffix(".toml"))
    )


def read_toml(kind: str, code: str) -> dict[str, Any]:
    """The parsed data file `data/{kind}/{code}.toml`; an unknown code raises `UnknownDataFile`."""
    # The code may come from a request: match it against the files that exist, never build a path from it.
    if not _CODE.match(code) or code not in list_codes(kind):
        raise UnknownDataFile(f"no {kind.replace('_', ' ')} data file with code {code!r}")
    with _folder(kind).joinpath(f"{code}.toml").open("rb") as handle:
        return tomllib.load(handle)
