"""App verification (VERIFY-*): brand and domain checks, pre-checks, the review state machine."""
