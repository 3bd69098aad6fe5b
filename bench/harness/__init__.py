"""The benchmark driver behind ``bench/run``: Consentry against oidc-provider and Authlib, same run.

Run it as ``.venv/bin/python -m bench.harness --help`` from the repository root (``bench/run`` does,
after installing what it needs). One concept per module: ``wrk_report`` parses what the Lua scripts
print, ``verdict`` decides whether a cell counts, ``targets`` start and prepare each server, ``matrix``
drives the workloads, ``scale`` the 1M-token phase, ``table`` renders the result.
"""
