"""Accuracy floors of the whole pipeline on a seeded extended corpus (see bench/accuracy.py for the full run).

A smaller corpus than the benchmark's (~100 mails) through the session's Dovecot and `run.main([... "poll"])`.
The floors are the issue's targets; they are accuracy thresholds, not timings.
"""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import accuracy  # noqa: E402


@pytest.fixture(scope="module")
def figures(dovecot, tmp_path_factory):
    from servers import new_account

    fig, sample = accuracy.measure(seed=5, n_units=60, account=new_account(dovecot.start()),
                                   workdir=tmp_path_factory.mktemp("accuracy"), timing=False)
    print("\n" + accuracy.render(fig))
    return fig, sample


def test_corpus_covers_the_hard_cases(figures):
    _, sample = figures
    cases = {m.truth.case for m in sample.mails}
    from samples import convert
    from samples.extended import EXTENDED_CASES, NEEDS_SOFFICE
    wanted = set(EXTENDED_CASES) - (set() if convert.available() else NEEDS_SOFFICE)
    assert wanted <= cases, wanted - cases


def test_accuracy_floors(figures):
    fig, _ = figures
    detail = "\n".join(fig.errors[:40])
    assert fig.crashes == 0, detail
    assert fig.unit_attribution >= 0.99, detail
    assert fig.f1 >= 0.98, detail
    for name, value in fig.fields.items():
        assert value >= 0.97, (name, detail)
    assert fig.quota_status == 1.0, detail
    assert fig.message_status >= 0.97, detail
