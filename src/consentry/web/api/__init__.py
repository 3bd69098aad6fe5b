"""The JSON management API under /api/v1, documented by OpenAPI."""
