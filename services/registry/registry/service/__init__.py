"""The registry's use cases, one module per concern: applications, the launch (review, notice, approval), the
life of a launched center (tier, governance, acceptance, ending, reinstating) and reading. Every act goes
through `acts.transition`; nothing here commits."""
