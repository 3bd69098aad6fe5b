"""Transactional mail: an outbox written with the change that causes it, delivered over SMTP.

- ``outbox``: :func:`enqueue` in the caller's transaction, and listings for operators;
- ``smtp_url``: ``CONSENTRY_SMTP_URL`` parsed into an ``SmtpConfig``;
- ``sender``: :func:`deliver_due` claims due mails and sends them (``transport`` speaks SMTP);
- ``mailer``: the background thread each server process runs.

Nothing is imported here, so that ``settings.py`` can import ``smtp_url`` to validate the URL
without pulling in the storage layer.
"""
