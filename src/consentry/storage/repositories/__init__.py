"""Storage-side implementations the domain and protocol layers call."""
