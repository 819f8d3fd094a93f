"""Use cases of the evaluation service, one module per concern; none commits (the request's unit of work does)."""
