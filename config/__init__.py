"""Settings, hall files, the app's assembly and the ``hall`` command.

- ``settings.py``: deployment settings (defaults, a TOML file, the environment);
- ``halls.py``: hall files, checked, and each package's part of them; ``accounts.py``: the staff
  and devices of each hall file, reloaded when it changes;
- ``auth.py``: who is calling (``PrincipalMiddleware``), sign-in, the guards; ``crypto.py``: tokens,
  passwords; ``privacy.py``: masking; ``logging.py``: JSON logs with personal data masked;
- ``database.py``: engines and transactions (SQLite WAL or PostgreSQL); ``migrations/``: Alembic;
- ``app.py``: the one place the application is assembled: every service built once, given to the
  handlers by dependency injection; ``cli/``: the ``hall`` command, by audience.
"""
