"""Funding's use cases, one module per concern; none of them commits."""
