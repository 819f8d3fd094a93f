"""Finding the one item of a data file's list that carries a given code."""

from collections.abc import Callable, Iterable
from typing import TypeVar

Item = TypeVar("Item")


def by_code(items: Iterable[Item], code: str, key: Callable[[Item], str]) -> Item:
    """The item whose `key` is `code`; KeyError if there is none."""
    for item in items:
        if key(item) == code:
            return item
    raise KeyError(code)
