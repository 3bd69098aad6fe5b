"""Issue, store by hash, rotate, revoke, introspect."""
