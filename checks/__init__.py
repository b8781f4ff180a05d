"""The checklist's phases as pure rules, one module per phase, run by ``pytest checks``."""
