"""Security incidents (SEC-6): a project reports known or suspected unauthorized access to the
platform's security contact at once, before any public statement; the platform tracks each one."""
