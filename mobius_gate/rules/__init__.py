"""The rule API: what a check module imports to state a requirement as a short pure rule."""
