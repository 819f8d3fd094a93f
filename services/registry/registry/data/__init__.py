"""The registry's data files (TOML), shipped as package data."""
