"""The one figure each benchmark is compared by (the workbench's history and bars show it)."""

from __future__ import annotations

HEADLINES = {  # benchmark -> (its headline figure, unit)
    "embed": (lambda d: max(r["images_per_s"] for r in d["results"]), "images/s"),
    "detect": (lambda d: d["ms_median"], "ms per frame"),
    "pipeline": (lambda d: d["pipeline"]["photos_per_s"], "photos/s"),
    "scan": (lambda d: d["photos_per_s"], "photos/s"),
    "group": (lambda d: d["group_s"], "s to group"),
    "vault": (lambda d: d["results"][-1]["identify_change"] * 100, "% identify time encrypted vs plain"),
    "gallery": (lambda d: d["query_top5_ms_p50"], "ms per search"),
    "train": (lambda d: d["images_per_s"], "images/s"),
    "soak": (lambda d: d["rss_growth_pct"], "% memory growth"),
    "live": (lambda d: d["frames_per_s"], "frames/s, 3 faces at 640x480"),
}


def headline(doc: dict) -> dict:
    """The one figure a benchmark result is compared by, with its unit and the machine it ran on."""
    read, unit = HEADLINES[doc["bench"]]
    return {"headline": float(read(doc)), "unit": unit, "device": (doc.get("machine") or {}).get("device"),
            "model": doc.get("model") or doc.get("detector") or doc.get("backbone", "")}
