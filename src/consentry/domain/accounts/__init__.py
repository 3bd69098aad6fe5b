"""Users, organizations, roles and sign-in."""
