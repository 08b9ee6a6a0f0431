"""Grouping faces into people, on synthetic embeddings with the real SFace calibration (fast).

Each synthetic person is a random unit direction; their faces scatter round it with a genuine cosine of about
0.7 (as SFace's same-person pairs on LFW); different people are nearly orthogonal (as strangers are).
"""

import json

import numpy as np
import pytest

from core.decide.metrics import bcubed
from core.library.cluster import Conflict, Params
from core.library.grouper import Grouper
from core.zoo.calibration_store import BUNDLED

CAL = json.loads((BUNDLED / "sface.json").read_text())


def people(sizes, dim=128, spread=0.55, seed=0):
    """(embeddings (N, dim) unit rows, person (N,), photo (N,): each face its own photo)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(sizes), dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    person = np.repeat(np.arange(len(sizes)), sizes)
    x = centres[person] + spread * rng.normal(size=(len(person), dim)) / np.sqrt(dim) * 1.6
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), person, np.arange(len(person))


def partition(keys, labels):
    return sorted(tuple(sorted(keys[labels == g].tolist())) for g in np.unique(labels[labels >= 0]))


def test_people_are_found_and_strangers_stay_unsorted():
    x, person, photo = people([30, 12, 5, 2, 1, 1, 1])
    g = Grouper(CAL)
    labels = g.fit(x, photo, np.arange(len(x)))
    p, r, _ = bcubed(labels, person)
    assert p == 1.0 and r > 0.95, (p, r)
    assert (labels[person >= 4] == -1).all()  # the three one-photo people are unsorted, not tiny groups


def test_the_groups_do_not_depend_on_the_order_faces_come_in():
    x, person, photo = people([40, 25, 10, 6, 3, 2, 1, 1], seed=1)
    keys = np.arange(1000, 1000 + len(x)) * 7919 % 100_003
    first = partition(keys, Grouper(CAL).fit(x, photo, keys))
    for seed in (1, 2, 3):
        o = np.random.default_rng(seed).permutation(len(x))
        g = Grouper(CAL)
        g.fit(x[o], photo[o], keys[o])
        assert partition(keys[o], g.labels(keys[o])) == first


def test_two_faces_of_one_photo_are_never_one_person():
    x, _, photo = people([6], seed=2)
    twin = np.concatenate([x, x[:1]])                 # the same face twice in photo 0
    photos = np.concatenate([photo, photo[:1]])
    labels = Grouper(CAL).fit(twin, photos, np.arange(len(twin)))
    assert labels[0] != labels[-1]


def test_one_chance_match_does_not_chain_two_people():
    x, person, photo = people([20, 20], seed=3)
    bridge = x[0] + x[20]
    bridge /= np.linalg.norm(bridge)                  # looks like both (cosine ~0.7 to one face of each)
    xs = np.concatenate([x, bridge[None]])
    labels = Grouper(CAL).fit(xs, np.arange(len(xs)), np.arange(len(xs)))
    assert len(set(labels[:20])) == 1 and len(set(labels[20:40])) == 1 and labels[0] != labels[20]


def test_a_cannot_link_survives_adding_faces_and_a_refit():
    x, person, photo = people([15, 15], seed=4)
    keys = np.arange(len(x))
    g = Grouper(CAL)
    g.fit(x[:25], photo[:25], keys[:25])
    assert g.labels([0])[0] == g.labels([1])[0]
    g.set_constraints(cannot_link=[(0, 1)])
    assert g.labels([0])[0] != g.labels([1])[0]
    g.add(x[25:], photo[25:], keys[25:])
    assert g.labels([0])[0] != g.labels([1])[0]
    g2 = Grouper(CAL)
    g2.fit(x, photo, keys, cannot_link=[(0, 1)])
    assert g2.labels([0])[0] != g2.labels([1])[0]
    g.set_constraints()                              # undone: they are one person again
    assert g.labels([0])[0] == g.labels([1])[0]


def test_a_contradiction_is_refused_and_changes_nothing():
    x, _, photo = people([10, 10], seed=5)
    g = Grouper(CAL)
    g.fit(x, photo, np.arange(len(x)), cannot_link=[(0, 1)])
    before = g.labels().copy()
    with pytest.raises(Conflict):
        g.set_constraints(must_link=[(0, 1)], cannot_link=[(0, 1)])
    assert (g.labels() == before).all()


def test_must_links_join_what_the_model_would_keep_apart():
    x, _, photo = people([8, 8], seed=6)
    g = Grouper(CAL)
    g.fit(x, photo, np.arange(len(x)), must_link=[(0, 8)])
    assert g.labels([0])[0] == g.labels([8])[0]


def test_adding_faces_agrees_with_grouping_everything_again():
    x, person, photo = people([30, 20, 12, 8, 5, 3, 2, 1, 1, 1, 1], seed=7)
    o = np.random.default_rng(7).permutation(len(x))
    keys = np.arange(len(x))
    inc = Grouper(CAL)
    inc.fit(x[o[:75]], photo[o[:75]], keys[o[:75]])
    inc.add(x[o[75:]], photo[o[75:]], keys[o[75:]])  # 10 new photos
    full = Grouper(CAL)
    full.fit(x, photo, keys)
    reference = full.labels(keys)
    reference[reference < 0] = -1 - np.arange((reference < 0).sum())  # each unsorted face its own identity
    p, r, _ = bcubed(inc.labels(keys), reference)
    assert p > 0.98 and r > 0.98


def test_the_saved_state_comes_back_and_other_settings_are_not_reused():
    x, _, photo = people([10, 6, 1], seed=8)
    g = Grouper(CAL)
    g.fit(x, photo, np.arange(len(x)), cannot_link=[(0, 1)])
    data = g.to_bytes()
    assert len(data) < x.nbytes                                       # the embeddings stay in the database
    keys = np.arange(len(x))
    h = Grouper(CAL)
    assert h.load(data, keys, x) and (h.labels() == g.labels()).all() and h.cannot.tolist() == [[0, 1]]
    assert np.array_equal(h.x, g.x)
    y, _, py = people([3], seed=9)
    g.add(y, py + 100, keys[-1] + 1 + np.arange(len(y)))
    h.add(y, py + 100, keys[-1] + 1 + np.arange(len(y)))
    assert (h.labels() == g.labels()).all()                           # it carries on as the original would
    assert not Grouper(CAL).load(data, keys[1:], x[1:])               # a face of the state is gone
    assert not Grouper(CAL, Params(merge_fpir=0.1)).load(data, keys, x)
    assert not Grouper(CAL).load(b"not a state", keys, x)
