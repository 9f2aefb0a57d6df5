"""An evaluation set written blind: mail as the clients of Chinese offices compose it, with the outcome of
each mail written by hand in ``expected.py`` before the parsers were read (see ``mails.py``)."""
