"""Speed of matching a platform list against the reported activities (``pipeline/reporting/platform.py``).

    python bench/platform_match.py [--activities 1500] [--rows 10000]

Activities and rows are drawn from the sample generator's titles; half the rows name a registered
unit, the rest bodies the registry does not know (as a province-wide download would). Prints seconds.
"""
from __future__ import annotations

import argparse
import random
import time
from datetime import date

from pipeline.campaign.registry import Registry, Unit
from pipeline.reporting.platform import UnitResolver, match
from samples.activities import OFFLINE_TITLES, ONLINE_TITLES, SLOGANS, TOPICS


def _title(rng: random.Random) -> str:
    return rng.choice(OFFLINE_TITLES + ONLINE_TITLES).format(topic=rng.choice(TOPICS), slogan=rng.choice(SLOGANS),
                                                             town=rng.choice("甲乙丙丁戊己庚辛") + "镇")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--activities", type=int, default=1500)
    parser.add_argument("--rows", type=int, default=10000)
    args = parser.parse_args()
    rng = random.Random(3)
    units = [Unit(f"u{i}", f"第{i}区", "county", (f"唐山市第{i}区科协",)) for i in range(60)]
    registry = Registry(units)
    day = lambda: date(2025, 9, rng.randint(1, 30)).isoformat()  # noqa: E731
    activities = [{"unit_id": f"u{rng.randrange(60)}", "title": _title(rng), "start_date": day(), "end_date": None}
                  for _ in range(args.activities)]
    rows = [{"platform_id": str(i), "title": _title(rng), "start_date": day(), "end_date": None,
             "organizer": f"唐山市第{rng.randrange(60)}区科协" if i % 2 else f"某县第{i}中学", "filer": None}
            for i in range(args.rows)]
    started = time.perf_counter()
    matched, _ = match(activities, rows, UnitResolver(registry))
    print(f"{args.activities} activities x {args.rows} rows: {len(matched)} matched in "
          f"{time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
