"""The nearest village by array operations is the nearest by a loop over every centroid."""
from __future__ import annotations

import math
import random

from normalizer import centroids


def _grid() -> dict[tuple[int, int], list[tuple[float, float, str]]]:
    known = centroids.centroids()
    latitudes, longitudes = known.latitudes.tolist(), known.longitudes.tolist()
    return {cell: [(latitudes[at], longitudes[at], known.codes[at]) for at in range(start, end)]
            for cell, (start, end) in known.cells.items()}


def _by_loop(grid: dict, latitude: float, longitude: float, max_cells: int = 3) -> tuple[str, float] | None:
    """The reference: the grid's rings walked cell by cell and centroid by centroid (as
    ``regions.nearest_village`` did before the arrays)."""
    row, col = math.floor(latitude * centroids.GRID), math.floor(longitude * centroids.GRID)
    scale = math.cos(math.radians(latitude))
    for reach in range(1, max_cells + 1):
        best_squared, best = math.inf, None
        for cell_row in range(row - reach, row + reach + 1):
            for cell_col in range(col - reach, col + reach + 1):
                for lat, lon, code in grid.get((cell_row, cell_col), ()):
                    squared = (lat - latitude) ** 2 + ((lon - longitude) * scale) ** 2
                    if squared < best_squared:
                        best_squared, best = squared, code
        if best is not None:
            return best, round(math.sqrt(best_squared) * 111.2, 2)
    return None


def test_every_cell_is_one_slice_in_grid_order():
    known = centroids.centroids()
    spans = sorted(known.cells.items())
    assert spans[0][1][0] == 0 and spans[-1][1][1] == len(known.codes) > 80_000
    assert all(before[1][1] == after[1][0] for before, after in zip(spans, spans[1:]))


def test_nearest_village_equals_the_loop_over_each_centroid():
    chooser = random.Random(29)
    known = centroids.centroids()
    points = [(chooser.uniform(-11.0, 6.0), chooser.uniform(95.0, 141.0)) for _ in range(300)]
    points += [(chooser.uniform(-7.5, -6.0), chooser.uniform(106.0, 112.0)) for _ in range(300)]  # Java: dense
    points += [(float(known.latitudes[at]), float(known.longitudes[at]))          # on a centroid
               for at in chooser.sample(range(len(known.codes)), 100)]
    points += [(-6.2, 106.8), (-0.5, 117.1), (0.0, 0.0), (-6.25, 106.85)]         # on grid lines, at sea
    found = [centroids.nearest_village(lat, lon) for lat, lon in points]
    grid = _grid()
    assert found == [_by_loop(grid, lat, lon) for lat, lon in points]
    assert sum(answer is not None for answer in found) > 400
