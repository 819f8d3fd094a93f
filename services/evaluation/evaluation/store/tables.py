"""Tables of the evaluation schema."""

from tic_shared.db import service_metadata
from tic_shared.messaging import messaging_tables

metadata = service_metadata("evaluation")
messaging = messaging_tables(metadata)
