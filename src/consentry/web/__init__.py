"""HTTP: OAuth endpoints, legacy endpoints, pages, JSON API."""
