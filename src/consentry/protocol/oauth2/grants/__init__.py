"""One grant per module; each subclasses Authlib's and adds only storage and our rules."""
