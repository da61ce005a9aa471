"""Words of a citizen's message: tokens, SMS abbreviations, Indonesian stems (Sastrawi).

What the region resolver and the agency routing read from a text. Citizens write ``yg``,
``tdk``, ``dgn``, ``jln``, ``sklh``; ``expand`` spells them out before stemming, so a rule's
``"sekolah"`` matches ``sklh`` and ``pungutan`` matches ``pungut``. Stemming is PySastrawi's
(the maintained fork of Sastrawi: the same module, ``Sastrawi``); it costs about 0.4 ms per
new word, so stems are kept in a bounded per-process cache (a citizen's vocabulary repeats:
after the first thousand messages nearly every word is a cache hit). The stemmer and its
dictionary of root words (``is_root_word``: the region resolver treats a village named
like an ordinary word with suspicion) load on first use, once per process.
"""
from __future__ import annotations

import re
import threading

from Sastrawi.Dictionary.ArrayDictionary import ArrayDictionary
from Sastrawi.Stemmer.Stemmer import Stemmer
from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_ASCII_TOKEN = re.compile(r"[a-z0-9]+")       # _TOKEN on lower-case ASCII, without Unicode classes
_DOUBLED = re.compile(r"^(\w+?)2$")          # "anak2" -> "anak", "bolong2" -> "bolong"
CACHE_LIMIT = 50_000                          # stems kept; the cache is emptied when full
UNIQUE_NUMBER = 5                             # digits from which a number is not kept (each_cached)
LONGEST_WORD = 30                             # longer "words" are not Indonesian: not stemmed

#: SMS and chat spellings citizens use, spelled out (lower case).
ABBREVIATIONS = {
    "yg": "yang", "tdk": "tidak", "tak": "tidak", "gak": "tidak", "ga": "tidak", "nggak": "tidak",
    "dgn": "dengan", "dg": "dengan", "jln": "jalan", "jl": "jalan", "sklh": "sekolah",
    "skolah": "sekolah", "sdh": "sudah", "udh": "sudah", "udah": "sudah", "blm": "belum",
    "blum": "belum", "krn": "karena", "karna": "karena", "utk": "untuk", "untk": "untuk",
    "jg": "juga", "bgt": "banget", "sy": "saya", "sya": "saya", "kmi": "kami", "org": "orang",
    "tlg": "tolong", "tolg": "tolong", "mhn": "mohon", "dr": "dari", "dri": "dari", "dkt": "dekat",
    "bln": "bulan", "thn": "tahun", "hr": "hari", "mgg": "minggu", "trs": "terus", "tp": "tapi",
    "pdhl": "padahal", "byk": "banyak", "bnyk": "banyak", "smp": "sampai", "lg": "lagi",
    "msh": "masih", "bs": "bisa", "bsa": "bisa", "hrs": "harus", "kpd": "kepada", "pd": "pada",
    "spt": "seperti", "sbg": "sebagai", "dpt": "dapat", "kls": "kelas", "rmh": "rumah",
    "lmpu": "lampu", "listrk": "listrik", "ktr": "kantor", "puskes": "puskesmas",
    "dishub": "dinas perhubungan", "dinsos": "dinas sosial", "disnaker": "dinas tenaga kerja",
    "disdik": "dinas pendidikan", "dinkes": "dinas kesehatan", "dlh": "dinas lingkungan hidup",
    "pu": "pekerjaan umum", "pupr": "pekerjaan umum", "lalin": "lalu lintas", "lantas": "lalu lintas",
    "kk": "kartu keluarga", "pam": "pdam", "nakes": "tenaga kesehatan",
    "ujan": "hujan", "ngalir": "mengalir", "mampet": "tersumbat", "item": "hitam",
}

_lock = threading.Lock()
_stemmer = None
_roots: frozenset[str] = frozenset()
_stems: dict[str, str] = {}


def tokens(text: str) -> list[str]:
    """Lower-case words of ``text`` (letters and digits), ``anak2`` read as ``anak``."""
    found = _TOKEN.findall(text.lower())
    return [_DOUBLED.sub(r"\1", word) if word.endswith("2") and not word.isdigit() else word
            for word in found]


def expand(words: list[str]) -> list[str]:
    """Words with the SMS abbreviations spelled out (one abbreviation may be two words)."""
    spelled: list[str] = []
    for word in words:
        full = ABBREVIATIONS.get(word)
        if full is None:
            spelled.append(word)
        else:
            spelled.extend(full.split())
    return spelled


def _load() -> None:
    global _stemmer, _roots
    with _lock:
        if _stemmer is not None:
            return
        words = [word for word in StemmerFactory().get_words() if word]
        _roots = frozenset(words)
        _stemmer = Stemmer(ArrayDictionary(words))


def stem(word: str) -> str:
    """The Indonesian stem of one lower-case word (cached; digits and short words as they are)."""
    cached = _stems.get(word)
    if cached is not None:
        return cached
    if len(word) <= 3 or len(word) > LONGEST_WORD or not word.isalpha():
        return word         # not kept: a stream of numbers must not push the words out
    if _stemmer is None:
        _load()
    result = _stemmer.stem(word) or word
    if len(_stems) >= CACHE_LIMIT:
        _stems.clear()
    _stems[word] = result
    return result


def raw_tokens(text: str) -> list[str]:
    """Lower-case words of ``text`` as written (``regions.normal(text).split()``): read once
    and shared by the region resolver and the routing (``stems_of``). A text that is ASCII
    once lower-cased (most) is read with a plain character class (a test holds the two equal)."""
    lowered = text.lower()
    return (_ASCII_TOKEN if lowered.isascii() else _TOKEN).findall(lowered)


def stems(text: str) -> list[str]:
    """The stems of a text's words, abbreviations spelled out first."""
    return stems_of(raw_tokens(text))


def stems_of(raw: list[str]) -> list[str]:
    """The stems of ``raw_tokens``, abbreviations spelled out first (each word's cached)."""
    return [stem for word in each_cached(_word_stems, raw, word_stems) for stem in word]


def each_cached(cache: dict, tokens: list[str], compute) -> list:
    """``compute(token)`` for each token, the words' answers kept in ``cache`` (a plain dict,
    emptied when it holds ``CACHE_LIMIT``): looked up in one pass, computed only for
    the tokens not in it. A number of five digits or more (an amount, a phone or reference
    number: mostly unique) is computed each time and not kept: such a stream must not fill
    the cache, whose table then stays small enough to stay in the CPU's caches between
    messages. ``compute`` must answer something true (a non-empty tuple)."""
    get = cache.get
    found = [get(token) for token in tokens]
    if all(found):
        return found
    for position, answer in enumerate(found):
        if answer is None:
            token = tokens[position]
            answer = found[position] = compute(token)
            if len(token) < UNIQUE_NUMBER or not token.isdigit():
                if len(cache) >= CACHE_LIMIT:
                    cache.clear()
                cache[token] = answer
    return found


_word_stems: dict[str, tuple[str, ...]] = {}


def word_stems(word: str) -> tuple[str, ...]:
    """The stems one lower-case token stands for (``anak2`` -> ``anak``, ``dishub`` ->
    ``dinas hubung``): ``tokens``, ``expand`` and ``stem`` of one word (``stems_of`` keeps
    them per word); a number is its own stem."""
    if word.isdigit():
        return (word,)
    if word.endswith("2") and not word.isdigit():
        word = _DOUBLED.sub(r"\1", word)
    return tuple(stem(part) for part in expand([word]))


def is_root_word(word: str) -> bool:
    """True for an ordinary Indonesian root word (Sastrawi's dictionary): ``baru``, ``jaya``."""
    if _stemmer is None:
        _load()
    return word in _roots
