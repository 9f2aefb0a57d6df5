"""The ledger: what ingestion concluded and what admins decided, in SQLite. Only ``store`` writes it."""
