"""Fresh identifiers drawn together are as uuid4's: version 4, the RFC 4122 variant, each different."""

import uuid

from tic_shared.ids import new_ids


def test_ids_drawn_together_are_random_version_4_uuids_each_different() -> None:
    ids = new_ids(10_000)
    assert len(ids) == len(set(ids)) == 10_000
    assert {(value.version, value.variant) for value in ids} == {(4, uuid.RFC_4122)}
    assert new_ids(0) == []
    # Random bits: the first ids of two draws share nothing.
    assert new_ids(1)[0] != new_ids(1)[0]
