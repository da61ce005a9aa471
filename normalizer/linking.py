"""Linking ("me too"): which open complaints describe the same problem as a new one (pure).

Two complaints are linked when they are in the same region (``region_key``), were received
within LAPOR_LINK_WINDOW_DAYS of each other, and their texts are similar: the Jaccard
similarity of their word shingles, estimated by MinHash (``datasketch``), is at least
LAPOR_LINK_SIMILARITY. Candidates are found by locality-sensitive hashing: the signature is
cut into ``bands`` of ``rows``; two complaints that agree on a whole band share a bucket.
The buckets live in Redis (``forwarder.store_links``); this module computes signatures,
bucket names and similarities, and touches nothing.

Text normalization before shingling: NFKC, then the routing's tokens and SMS spellings
(``normalizer.words``: lower case, punctuation dropped, ``anak2`` -> ``anak``, ``yg`` ->
``yang``, ``jln`` -> ``jalan``) and a few more (``SPELLINGS``), ``-nya`` cut, filler words
dropped (``tolong``, ``mohon``, ``di``, ``yang``...). Shingles:
the remaining words (one-word shingles: on the labelled pairs, ``tests/data/linking``, adding
two-word shingles lowered recall more than it raised precision; docs/benchmarks.md).

Sample: "jln rusak parah dpn pasar minggu, tolong diperbaiki" -> words ``jalan rusak parah
depan pasar minggu diperbaiki`` -> a 64-value signature, 18 bands of 2 values.
"""
from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from normalizer.words import expand, tokens

if TYPE_CHECKING:
    import numpy

NUM_PERM = 64          # signature length: 256 bytes per complaint in the index
LSH_THRESHOLD = 0.25   # candidate threshold of the bands (below the similarity floor: recall)
MIN_WORDS = 2          # fewer content words than this: too little to compare
SEED = 1708
SCHEME = "affine32"    # datasketch 2's 32-bit hashing: every value fits the stored uint32
MAX_RELATED = 5        # the most similar few are named in ``related``

# spellings the routing's table (``normalizer.words.ABBREVIATIONS``) leaves as they are but
# that tell the same problem in other letters
SPELLINGS = {
    "dpn": "depan", "deket": "dekat", "gk": "tidak", "ngga": "tidak", "enggak": "tidak",
    "jalanan": "jalan", "kec": "kecamatan", "kel": "kelurahan", "kab": "kabupaten", "ds": "desa",
    "kmrn": "kemarin", "skrg": "sekarang", "gmn": "bagaimana", "lobang": "lubang",
    "bolong": "lubang", "berlobang": "berlubang", "bener": "benar", "ampe": "sampai",
    "sampe": "sampai", "tros": "terus", "dah": "sudah",
}
FILLER = frozenset(
    "yang di ke dari dan ini itu saya kami kita aku gw gue sy ada sudah tidak belum untuk "
    "dengan karena juga ya nya sih dong kok lagi masih bisa akan pada oleh atau tapi sama "
    "para tolong mohon min admin pak bu bapak ibu lapor laporan lapor1708 minta harap segera "
    "sangat banget sekali terima kasih tq thx halo hallo selamat pagi siang sore malam "
    "the a to is of in and please sudah dong deh nih tuh kan pun agar supaya jadi mau "
    "hari sejak sampai terus kapan kenapa apa bagaimana".split())


@dataclass(frozen=True)
class Fingerprint:
    """What the index keeps of a complaint: its region, signature and LSH band names."""
    region: str
    signature: bytes            # NUM_PERM little-endian uint32
    bands: tuple[str, ...]      # one bucket name per band, "<band>:<hash>"


@cache
def lsh_shape() -> tuple[int, int]:
    """(bands, rows) datasketch picks for LSH_THRESHOLD at NUM_PERM (computed once)."""
    from datasketch import MinHashLSH      # on first use: the package takes ~0.5 s to import

    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
    return lsh.b, lsh.r


@cache
def _minhash():
    """datasketch's MinHash class and the one set of permutations (on first use)."""
    from datasketch import MinHash          # on first use: the package takes ~0.5 s to import

    return MinHash, MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations


def words(text: str) -> list[str]:
    """The content words of ``text`` after normalization (see the module docstring): the
    routing's tokens and SMS spellings (``normalizer.words``), then the few above."""
    folded = unicodedata.normalize("NFKC", text)
    kept = []
    for word in expand(tokens(folded)):
        if len(word) > 5 and word.endswith("nya"):
            word = word[:-3]
        word = SPELLINGS.get(word, word)
        if word not in FILLER:
            kept.append(word)
    return kept


def shingles(text: str) -> set[str]:
    """The set of content words of ``text``."""
    return set(words(text))


def region_key(complaint: dict) -> str:
    """The region two complaints must share to be linked ('' when unknown): the regency
    of ``location.region.code`` (Kemendagri, dotted: ``64.08.05.2001`` -> ``64.08``), else
    the first of ``location.region_codes``, else the normalized location text."""
    location = complaint.get("location") or {}
    region = location.get("region") or {}
    code = str(region.get("code") or "") or next(iter(location.get("region_codes") or []), "")
    if code:
        regency = ".".join(code.split(".")[:2]) if "." in code else code[:4]   # 6408052001 -> 6408
        return "code:" + regency[:32]
    place = " ".join(words(str(location.get("text") or "")))
    if not place:
        return ""
    return "text:" + _digest(place.encode())


def signature(text: str) -> numpy.ndarray | None:
    """The MinHash signature of ``text``'s shingles (None: too few words to compare)."""
    found = shingles(text)
    if len(found) < MIN_WORDS:
        return None
    minhash_class, permutations = _minhash()
    minhash = minhash_class(num_perm=NUM_PERM, seed=SEED, permutations=permutations, scheme=SCHEME)
    minhash.update_batch([item.encode() for item in sorted(found)])
    return minhash.hashvalues.astype("<u4")


def fingerprint(complaint: dict) -> Fingerprint | None:
    """The index entry of a complaint (None: no region or too little text)."""
    region = region_key(complaint)
    if not region:
        return None
    values = signature(f"{complaint.get('title') or ''} {complaint.get('body') or ''}")
    if values is None:
        return None
    bands, rows = lsh_shape()
    names = tuple(f"{band}:{_digest(values[band * rows:(band + 1) * rows].tobytes())}"
                  for band in range(bands))
    return Fingerprint(region, values.tobytes(), names)


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def similarity(first: bytes, second: bytes) -> float:
    """Estimated Jaccard similarity of two signatures (the share of equal values)."""
    import numpy as np      # on first use, like datasketch (which needs it): ~0.2 s to import

    a, b = np.frombuffer(first, dtype="<u4"), np.frombuffer(second, dtype="<u4")
    if a.shape != b.shape:
        return 0.0
    return float(np.count_nonzero(a == b)) / len(a)


def related(entry: Fingerprint, candidates: list[tuple[str, bytes]], floor: float,
            exclude: str = "") -> list[dict]:
    """``[{tracking_number, similarity}]`` of the candidates at least ``floor`` similar,
    most similar first, at most MAX_RELATED (one vectorized comparison for them all)."""
    kept = [(number, values) for number, values in candidates
            if number != exclude and len(values) == len(entry.signature)]
    if not kept:
        return []
    import numpy as np      # on first use, like datasketch (which needs it): ~0.2 s to import

    matrix = np.frombuffer(b"".join(values for _, values in kept), dtype="<u4")
    mine = np.frombuffer(entry.signature, dtype="<u4")
    scores = (matrix.reshape(len(kept), len(mine)) == mine).mean(axis=1)
    scored = [{"tracking_number": number, "similarity": round(float(score), 2)}
              for (number, _), score in zip(kept, scores) if score >= floor]
    scored.sort(key=lambda item: (-item["similarity"], item["tracking_number"]))
    return scored[:MAX_RELATED]
