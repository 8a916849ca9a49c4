"""The 60-s soak (soak.py; `make soak` runs it for 10 minutes)."""
from soak import check, report, run


def test_soak_60_seconds(capsys):
    f, events = run(60)
    with capsys.disabled():
        print("\n" + report(f, events))
    assert not check(f), check(f)
