"""``facerec bench live``: the live recognizer with three faces at 640x480, with its headline figure."""


def test_bench_live_names_both_people_and_never_the_stranger(samples):
    from core.cli import run

    doc, code = run(["bench", "live", "--frames", "8", "--json"])    # 40 frames
    assert code == 0 and doc["bench"] == "live" and doc["frames"] == 40 and doc["faces"] == 3
    assert all(1 <= n <= 3 for n in doc["frames_to_first_name"].values()), doc["frames_to_first_name"]
    assert not doc["stranger_named"] and doc["name_changes_per_track"] == 0
    assert doc["headline"]["headline"] == doc["frames_per_s"] > 0 and doc["operating_point"]["source"] == "track"
