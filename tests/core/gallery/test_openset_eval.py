"""The open-set protocol end to end on real photos: enrolment, probes and strangers through the gallery."""

from pathlib import Path

from tests.core.gallery.conftest import ENROLLED, STRANGER


def _tree(root: Path, people: dict[str, list[Path]], names: list[str], limit: int) -> Path:
    for name in names:
        (root / name).mkdir(parents=True)
        for p in people[name][:limit]:
            (root / name / p.name).symlink_to(p)
    return root


def test_openset_protocol_names_probes_and_refuses_strangers(tmp_path, train_people, val_people, analyzer):
    from core.evaluation import evaluate_openset

    enroll = _tree(tmp_path / "enroll", train_people, ENROLLED, 6)
    probes = _tree(tmp_path / "probes", val_people, ENROLLED, 3)
    strangers = _tree(tmp_path / "strangers", val_people, [STRANGER], 5)
    out = evaluate_openset(enroll, probes, strangers, analyzer.settings)

    assert out["identities"] == 4 and out["probes"] == 12 and out["strangers"] == 5
    assert out["enrolled_faces"] + out["rejected_at_enrolment"] == 24
    assert out["rank1"] >= 11 / 12, out
    assert out["strangers_named"] == 0, out
    assert out["probes_named_wrong"] == 0, out
    # the curve is monotone: a lower stranger rate never admits more probes
    dirs = [c["dir"] for c in out["curve"]]
    assert dirs == sorted(dirs, reverse=True)
