"""Sample data services (mail, files, chat, meetings, calendar) behind the /data/v1 APIs.

They are small but real: the same database, scopes enforced per operation, every call logged.
"""
