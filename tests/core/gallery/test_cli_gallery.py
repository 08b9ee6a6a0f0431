"""The issue's end-to-end check with real processes: enroll four people, identify all val photos, remove one."""


import pytest

from tests.cli_run import facerec as run_facerec
from tests.cli_run import one_json
from tests.core.gallery.conftest import ENROLLED, STRANGER


def facerec(*args):
    return run_facerec(*args, "--model", "facenet")


@pytest.mark.slow
def test_enroll_identify_remove_via_cli(tmp_path, samples):
    gal = tmp_path / "gallery"
    for name in ENROLLED:
        proc = facerec("enroll", "--gallery", str(gal), "--name", name, str(samples / "train" / name), "--json")
        assert proc.returncode == 0, proc.stderr
        doc = one_json(proc)
        assert doc["identity"] == name and doc["added"] >= 10
        assert all(set(r) >= {"path", "reason"} for r in doc["rejected"])
    proc = facerec("identify", "--gallery", str(gal), str(samples / "val"), "--json")
    assert proc.returncode == 0, proc.stderr
    results = one_json(proc)["results"]
    assert len(results) == 25
    right = total = unknown = 0
    for r in results:
        who = r["path"].split("/")[-2]
        got = r["faces"][0]["name"] if r["faces"] else "NOFACE"
        if who == STRANGER:
            unknown += got is None
        else:
            total += 1
            right += got == who
    assert right / total >= 0.95 and unknown >= 4, (right, total, unknown)

    proc = facerec("gallery", "remove", "--gallery", str(gal), "madonna", "--json")
    assert proc.returncode == 0 and one_json(proc)["removed"] == "madonna"
    proc = facerec("identify", "--gallery", str(gal), str(samples / "val" / "madonna"), "--json")
    names = [f["name"] for r in one_json(proc)["results"] for f in r["faces"]]
    assert names and "madonna" not in names

    listed = one_json(facerec("gallery", "list", "--gallery", str(gal), "--json"))
    assert sorted(p["name"] for p in listed["identities"]) == sorted(set(ENROLLED) - {"madonna"})
    proc = facerec("gallery", "rename", "--gallery", str(gal), "nobody", "x", "--json")
    assert proc.returncode == 5 and one_json(proc)["error"]["kind"] == "identity_not_found"
