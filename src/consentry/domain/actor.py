"""Who is acting, and through which channel: every service call and audit event carries one."""

from __future__ import annotations

from dataclasses import dataclass

from consentry.domain.audit.tags import Channel


@dataclass(frozen=True)
class Actor:
    email: str
    user_id: int | None
    #: ``users.role`` ("user", "reviewer", "operator", "admin"); the CLI acts as the operator.
    platform_role: str
    channel: Channel

    @classmethod
    def cli(cls) -> Actor:
        """Whoever runs the CLI has the database: the operator, on every project."""
        return cls(email="cli", user_id=None, platform_role="operator", channel=Channel.CLI)

    @property
    def is_operator(self) -> bool:
        return self.platform_role == "operator"
