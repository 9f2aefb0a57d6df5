"""Mail coming in: the sources (IMAP, Maildir), the raw archive, and the message path (``ingest``)."""
