"""What runs: the open pipeline (``app``), the command line, the scheduled worker, the console, the demo."""
