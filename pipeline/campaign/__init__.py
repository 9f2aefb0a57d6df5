"""The campaign: the units registry, and where each unit stands (statuses, current activities, quotas, late)."""
