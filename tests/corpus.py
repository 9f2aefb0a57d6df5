"""Where the collected real-world nasty files live: ../shared/corpus beside the checkout (optional)."""
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
