"""A person's decisions: review (assign, reprocess, dismiss, restore) and the actions that audit them."""
