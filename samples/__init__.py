"""Sample summary mails with ground truth, for the demo, the integration tests and benchmarks.

    from samples import generate, write_maildir
    sample = generate(seed=7)            # ~60-80 mails for 40 units
    write_maildir(sample, "var/inbox")
"""
from .generator import DEADLINE, TZ, generate, write_maildir
from .model import CASES, QUOTAS, ExpectedActivity, MailTruth, SampleMail, SampleSet, Unit

__all__ = ["generate", "write_maildir", "SampleSet", "SampleMail", "MailTruth", "ExpectedActivity", "Unit",
           "CASES", "QUOTAS", "TZ", "DEADLINE"]
