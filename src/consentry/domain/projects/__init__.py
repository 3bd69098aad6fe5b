"""Projects: the consent-screen configuration and its input rules (VERIFY-2, VERIFY-3)."""
