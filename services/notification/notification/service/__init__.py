"""The notification service's use cases, one module per concern. None of them commits."""
