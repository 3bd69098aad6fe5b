"""Security events pushed to apps: RISC events (DATA-4) and deletion requests (DATA-2).

Each event is a Security Event Token (RFC 8417) queued in ``security_events`` in the transaction
of the change it reports, then pushed to the project's endpoint (RFC 8935) by the mail thread,
retried with backoff until the app acknowledges it with 202.

- ``types``: the event type URIs (OpenID RISC, and Consentry's deletion request);
- ``token``: the SET's claims and its signature (``typ: secevent+jwt``);
- ``endpoint``: the rule for an app's push endpoint, and setting it;
- ``queue``: adding an event row, listings for operators and developers;
- ``emit``: RISC events for a user, to every project that must hear of them;
- ``deletion``: a user's deletion request and its tracking, overdue requests for reviewers;
- ``push``: one SSRF-safe POST and what its answer means;
- ``deliver``: claim due events, push them, record each outcome (mirrors the mail sender).
"""
