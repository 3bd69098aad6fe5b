"""Domain services: plain Python, no web framework, given a unit of work."""
