"""Mail we write: acknowledgments to units, reminders, the admins' daily digest (sent through ``outbox/``)."""
