"""How long the console's pages take on a season of sample mail (a benchmark, not a test).

    python bench/console.py [--units 300] [--seed 7] [--repeat 3]

Builds a season (``samples.generate`` for that many units, polled from a Maildir into .eml files, no
servers), then times each page through Flask's test client (the server's own overhead not included)
and prints the median per page in milliseconds.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PAGES = ["/", "/chart.png", "/units", "/review", "/outbox", "/log", "/workbook.xlsx"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from pipeline.config import load_config
    from pipeline.runtime.console import create_app
    from pipeline.runtime.demo import write_season
    from run import main as run
    from samples import generate

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sample = generate(seed=args.seed, n_units=args.units)
        write_season(folder, sample)
        started = time.perf_counter()
        run(["--config", str(folder / "config.yaml"), "poll"])
        print(f"season: {len(sample.units)} units, {len(sample.mails)} mails, polled in "
              f"{time.perf_counter() - started:.1f} s")
        client = create_app(load_config(folder / "config.yaml")).test_client()
        page = client.get("/login").text
        token = page.split('name="csrf" value="')[1].split('"')[0]
        client.post("/login", data={"name": "bench", "csrf": token})
        unit = sample.units[0].unit_id
        for path in PAGES + [f"/units/{unit}"]:
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            print(f"{path:<22} {statistics.median(times):8.0f} ms  ({len(response.data) / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
