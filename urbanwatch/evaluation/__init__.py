"""`urbanwatch eval`: the real pipeline over clips with ground truth, scored event by event."""
