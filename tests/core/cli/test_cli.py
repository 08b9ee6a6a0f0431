"""The CLI as a user runs it: real processes, real photos, one JSON document on stdout."""

import itertools
import random

import numpy as np
import pytest

from tests.cli_run import facerec, one_json


def run(*args, timeout=600):
    return facerec(*args, timeout=timeout)


def facenet(*args):
    return run(*args, "--model", "facenet")


def parse_one_json(stdout: str):
    return one_json(stdout)


@pytest.mark.slow
def test_verify_pairs_on_100_labelled_val_pairs(val_people, tmp_path):
    same = [(a, b, 1) for ps in val_people.values() for a, b in itertools.combinations(ps, 2)]
    diff_all = [(a, b, 0) for (_, p1), (_, p2) in itertools.combinations(val_people.items(), 2) for a in p1 for b in p2]
    diff = random.Random(7).sample(diff_all, 50)
    assert len(same) == 50
    csv = tmp_path / "pairs.csv"
    csv.write_text("".join(f"{a},{b},{lab}\n" for a, b, lab in same + diff))
    proc = run("verify", "--pairs", str(csv), "--json")  # default settings: the acceptance check of issue 10
    assert proc.returncode == 0, proc.stderr
    doc = parse_one_json(proc.stdout)
    assert len(doc["pairs"]) == 100
    assert [p["a"] for p in doc["pairs"]] == [str(a) for a, _, _ in same + diff]
    correct = sum(p["same"] == bool(p["label"]) for p in doc["pairs"])
    assert correct >= 97, f"only {correct}/100 pairs right"
    assert doc["accuracy"] == pytest.approx(correct / 100)


def test_represent_one_photo_is_unit_length(val_people):
    photo = val_people["madonna"][0]
    proc = facenet("represent", str(photo), "--json")
    assert proc.returncode == 0, proc.stderr
    doc = parse_one_json(proc.stdout)
    face = doc["faces"][0]
    assert doc["results"][0]["path"] == str(photo)
    assert len(face["embedding"]) == 128 and len(face["landmarks"]) == 5 and len(face["box"]) == 4
    assert np.linalg.norm(face["embedding"]) == pytest.approx(1.0, abs=1e-4)


def test_bad_inputs_exit_3_with_json_error(tmp_path, val_people):
    text = tmp_path / "photo.jpg"
    text.write_text("hello")
    proc = run("represent", str(text), "--json")
    assert proc.returncode == 3
    assert parse_one_json(proc.stdout)["error"]["kind"] == "not_an_image"
    blank = tmp_path / "blank.png"
    from PIL import Image

    Image.new("RGB", (200, 200), (128, 128, 128)).save(blank)
    proc = run("verify", str(blank), str(val_people["madonna"][0]), "--json")
    assert proc.returncode == 3
    assert parse_one_json(proc.stdout)["error"]["kind"] == "no_face"
    proc = run("verify", str(blank), str(val_people["madonna"][0]))
    assert proc.returncode == 3 and "no face" in proc.stderr and "Traceback" not in proc.stderr


def test_usage_errors_exit_2():
    proc = run("verify", "--json")
    assert proc.returncode == 2
    assert parse_one_json(proc.stdout)["error"]["kind"] == "usage"
    proc = run("represent", "--model", "nope", "x.jpg", "--json")
    assert proc.returncode == 2 and "facenet" in parse_one_json(proc.stdout)["error"]["message"]
    proc = run("frobnicate")
    assert proc.returncode == 2 and "frobnicate" in proc.stderr and "Traceback" not in proc.stderr
    proc = run("train", "--data", "x", "--out", "y", "--backbone", "r9000", "--json")
    assert proc.returncode == 2 and "r50" in parse_one_json(proc.stdout)["error"]["message"]


def test_verify_pairs_reports_a_photo_without_a_face_in_its_pair(val_people, tmp_path):
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.new("RGB", (200, 200), (128, 128, 128)).save(blank)
    a, b = val_people["ben_afflek"][:2]
    csv = tmp_path / "pairs.csv"
    csv.write_text(f"{a},{b},1\n{a},{blank},1\n")
    proc = run("verify", "--pairs", str(csv), "--json")
    assert proc.returncode == 0, proc.stderr      # a bad pair does not change the exit code
    doc = parse_one_json(proc.stdout)
    good, bad = doc["pairs"]
    assert good["same"] is True and bad["same"] is False and bad["reason"] == "no_face" and bad["score"] is None
    assert doc["accuracy"] == 0.5 and doc["no_face_pairs"] == 1
    assert doc["operating_point"]["source"] in ("calibration", "fallback") and doc["threshold"] == pytest.approx(
        doc["operating_point"]["threshold"], abs=1e-4)
    proc = run("verify", "--pairs", str(csv), "--threshold", "0.99", "--json")
    doc = parse_one_json(proc.stdout)
    assert doc["operating_point"] == {"threshold": 0.99, "source": "override"} and doc["pairs"][0]["same"] is False
