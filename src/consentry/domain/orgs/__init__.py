"""Organizations: what their admins decide about apps, delegation, access requests."""
