"""Wires the stages together: worker processes (camera -> detector -> rules -> store) and the
service that runs them beside the API."""
