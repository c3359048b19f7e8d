"""The learning loop: train a candidate from the office's reviews, measure it against the running
model, keep it in the registry, promote it (models/registry.py keeps the table)."""
