"""Is a message a submission, whose is it, and what we conclude from it: classify, identify, trust, decide."""
