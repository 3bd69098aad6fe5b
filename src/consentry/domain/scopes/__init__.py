"""The scope catalogue: scope -> API, class, description."""
