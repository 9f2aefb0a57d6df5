"""The ledger: what ingestion concluded and what admins decided, in SQLite. Only ``store`` (and the parts it is
made of: ``messages``, ``outbox_table``, ``decisions``, ``marks``, ``platform``) holds SQL; callers get ``rows``."""
