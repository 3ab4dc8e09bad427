"""Generate a labelled search query set (JSON lines) from the customer and product data.

The output has the format of ``queries_visible.jsonl``: one object a line with ``id``,
``entity``, ``kind``, ``query``, ``target``, ``accept`` and ``variant``. Customers are drawn
from the first 1,000 rows and every query is checked to have one answer among all rows given
(initials: at most three); products list in ``accept`` every SKU that satisfies the query
equally. The generator splits names and reads products with its own rules and word lists, so it
does not inherit the search modules' mistakes.

    python bench/search_queries.py --customers customers_100k.csv --products products.csv \\
        --seed 7 --out queries_gen.jsonl
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import opencc
from pypinyin import Style, lazy_pinyin, pinyin
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

TARGET_ROWS = 1000
MAX_INITIALS_SHARE = 3

CUSTOMER_KINDS = {
    "exact": 60,
    "prefix": 110,
    "partial": 100,
    "homophone": 120,
    "pinyin": 110,
    "initials": 80,
    "traditional": 90,
    "mixed": 100,
    "deletion": 90,
}
PRODUCT_KINDS = {
    "exact": 35,
    "sku": 35,
    "sku_partial": 70,
    "model": 90,
    "model_zh": 80,
    "material": 70,
    "english": 70,
    "traditional": 45,
    "pinyin": 45,
}

# -- customers ---------------------------------------------------------------------------------

LEGAL = (
    "集团股份有限公司",
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "有限公司",
    "分公司",
    "经营部",
    "商行",
    "厂",
)
REGION_SUFFIX = ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "特别行政区", "省", "市")
_S2T = {name: opencc.OpenCC(name) for name in ("s2t", "s2tw", "s2hk")}


def gb2312_level(ch: str) -> int:
    """1 for GB2312 level-1 (the 3,755 common hanzi), 2 for level 2, 3 otherwise."""
    try:
        code = ch.encode("gb2312")
    except UnicodeEncodeError:
        return 3
    if len(code) != 2:
        return 3
    return 1 if 0xB0 <= code[0] <= 0xD7 else 2


@dataclass
class Company:
    row: int
    name: str
    region_col: str
    region: str  # region text as written in the name ("" when none)
    region_word: str  # the place without 省/市
    core: str
    word: str  # industry word ("" when none)
    form: str  # "lead", "bracket", "branch", "plain"
    py: list[str] = field(default_factory=list)


def region_words(region_col: str) -> list[str]:
    parts = re.split("|".join(REGION_SUFFIX), region_col)
    return [p for p in parts if len(p) >= 2]


def strip_legal(text: str) -> str:
    changed = True
    while changed:
        changed = False
        for form in LEGAL:
            if text.endswith(form) and len(text) > len(form) + 1:
                text = text[: -len(form)]
                changed = True
                break
    return text


def learn_words(bodies: Iterable[str]) -> list[str]:
    """Industry words: endings shared by many names once the 2-4 character core is cut off."""
    counts: Counter[str] = Counter()
    for body in bodies:
        for cut in range(2, 5):
            word = body[cut:]
            if 2 <= len(word) <= 6:
                counts[word] += 1
    return sorted((w for w, c in counts.items() if c >= 60), key=len, reverse=True)


def parse_company(row: int, name: str, region_col: str, words: list[str]) -> Company | None:
    places = region_words(region_col)
    body = name
    region = region_word = ""
    form = "plain"
    m = re.search(r"（([^（）]+)）", body)
    if m:
        region_word = m.group(1)
        body = body[: m.start()]
        form = "bracket"
    else:
        m = re.search(r"(有限公司|有限责任公司|股份有限公司)(.+?)分公司$", body)
        if m:
            region_word = m.group(2)
            body = body[: m.start()]
            form = "branch"
        else:
            body = strip_legal(body)
            for place in sorted(places, key=len, reverse=True):
                if body.startswith(place):
                    end = len(place)
                    for suffix in REGION_SUFFIX:
                        if body.startswith(suffix, end):
                            end += len(suffix)
                            break
                    region, region_word = body[:end], place
                    body = body[end:]
                    form = "lead"
                    break
    body = strip_legal(body)
    word = ""
    for w in words:
        if body.endswith(w) and 2 <= len(body) - len(w) <= 4:
            word = w
            break
    core = body[: len(body) - len(word)]
    if not 2 <= len(core) <= 4 or not all("\u4e00" <= ch <= "\u9fff" for ch in core):
        return None
    return Company(row, name, region_col, region, region_word, core, word, form)


class CustomerData:
    def __init__(self, path: Path) -> None:
        with path.open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        self.names = [r["name"] for r in rows]
        self.regions = [r["region"] for r in rows]
        bodies = []
        for r in rows[:20000]:
            body = strip_legal(re.sub(r"（.*?）", "", r["name"]))
            for place in sorted(region_words(r["region"]), key=len, reverse=True):
                if body.startswith(place):
                    body = body[len(place) :].lstrip("省市")
                    break
            bodies.append(body)
        self.words = learn_words(bodies)
        print(f"customers: {len(rows)} rows, {len(self.words)} industry words", file=sys.stderr)
        self.py = [
            lazy_pinyin(n, style=Style.NORMAL, errors=lambda s: list(s)) for n in self.names
        ]
        self.py_text = [" " + " ".join(p) + " " for p in self.py]
        self.initials = ["".join(s[0] for s in p if s.isascii() and s.isalpha()) for p in self.py]

    def count_sub(self, text: str) -> int:
        return sum(1 for n in self.names if text in n)

    def count_py(self, syllables: list[str], where: Callable[[int], bool] | None = None) -> int:
        needle = " " + " ".join(syllables) + " "
        return sum(
            1 for i, t in enumerate(self.py_text) if needle in t and (where is None or where(i))
        )


def name_pinyin(data: CustomerData, c: Company, text: str) -> list[str]:
    """Context pinyin of ``text`` as it stands in the name (polyphones read in context)."""
    pos = c.name.find(text)
    if pos < 0 or len(data.py[c.row]) != len(c.name):
        return lazy_pinyin(text, style=Style.NORMAL)
    return data.py[c.row][pos : pos + len(text)]


def homophones() -> dict[str, list[str]]:
    """Toneless syllable → GB2312 level-1 characters with only that reading."""
    by_syl: dict[str, list[str]] = defaultdict(list)
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                ch = bytes((hi, lo)).decode("gb2312")
            except UnicodeDecodeError:
                continue
            readings = {r for r in pinyin(ch, style=Style.NORMAL, heteronym=True)[0]}
            if len(readings) == 1:
                by_syl[readings.pop()].append(ch)
    return by_syl


def gen_customers(data: CustomerData, rng: random.Random) -> list[dict[str, Any]]:
    companies = [
        c
        for i in range(TARGET_ROWS)
        if (c := parse_company(i, data.names[i], data.regions[i], data.words))
    ]
    sound = homophones()
    out: list[dict[str, Any]] = []
    used: set[tuple[str, str]] = set()

    def emit(kind: str, c: Company, query: str, variant: str) -> None:
        if (kind, query) in used:
            return
        used.add((kind, query))
        out.append(
            {
                "entity": "customer",
                "kind": kind,
                "query": query,
                "target": c.name,
                "accept": [c.name],
                "variant": variant,
            }
        )

    def core_unique(c: Company) -> bool:
        return data.count_sub(c.core) == 1

    def region_of(c: Company) -> str:
        """The region as a rep types it: as in the name, or the bracket / branch city."""
        if c.region:
            return c.region
        return c.region_word

    def head_of(c: Company) -> str:
        """The region typed in front: as in the name, sometimes without its 市 / 省."""
        head = region_of(c)
        return c.region_word if rng.random() < 0.25 else head

    def region_ok(c: Company, i: int) -> bool:
        return c.region_word in data.names[i] or c.region_word in data.regions[i]

    def make(kind: str, c: Company) -> tuple[str, str] | None:
        if kind == "exact":
            return c.name, "full"
        if kind == "prefix":
            if c.region_word and rng.random() < 0.6:
                q = head_of(c) + c.core
                others = sum(
                    1
                    for i, n in enumerate(data.names)
                    if c.core in n and region_ok(c, i) and i != c.row
                )
                return (q, "region+core") if others == 0 else None
            if c.word:
                q = c.core + c.word
                return (q, "core+word") if data.count_sub(q) == 1 else None
            return None
        if kind == "partial":
            return (c.core, "core") if core_unique(c) and len(c.core) >= 2 else None
        if kind == "homophone":
            with_region = bool(c.region_word) and rng.random() < 0.35
            if not with_region and len(c.core) < 3:
                return None
            syls = name_pinyin(data, c, c.core)
            pos = rng.randrange(len(c.core))
            options = [
                ch
                for ch in sound.get(syls[pos], ())
                if ch != c.core[pos] and gb2312_level(ch) <= gb2312_level(c.core[pos])
            ]
            if not options:
                return None
            typo = c.core[:pos] + rng.choice(options) + c.core[pos + 1 :]
            head = head_of(c) if with_region else ""
            q = head + typo
            if data.count_sub(typo) or data.count_py(syls) != 1:
                return None
            return q, "region+core" if with_region else "core"
        if kind == "pinyin":
            core_py = name_pinyin(data, c, c.core)
            if c.region_word and rng.random() < 0.6:
                head = head_of(c)
                n = data.count_py(core_py, lambda i: region_ok(c, i))
                if n != 1:
                    return None
                syls = name_pinyin(data, c, head) if head in c.name else lazy_pinyin(head)
                syls = syls + core_py
                variant = "region+core"
            else:
                if data.count_py(core_py) != 1 or len(core_py) < 3:
                    return None
                syls, variant = core_py, "core"
            q = " ".join(syls) if rng.random() < 0.3 else "".join(syls)
            return q, variant
        if kind == "initials":
            if c.region and rng.random() < 0.6:
                text, variant = c.region + c.core, "region+core"
            elif c.word:
                text, variant = c.core + c.word, "core+word"
            else:
                return None
            letters = "".join(s[0] for s in name_pinyin(data, c, text))
            if len(letters) < 4 or not letters.isalpha():
                return None
            share = sum(1 for ini in data.initials if letters in ini)
            return (letters, variant) if share <= MAX_INITIALS_SHARE else None
        if kind == "traditional":
            conv = rng.choice(sorted(_S2T))
            q = _S2T[conv].convert(c.name)
            return (q, f"full:{conv}") if q != c.name else None
        if kind == "mixed":
            core_py = name_pinyin(data, c, c.core)
            if c.region_word and (not c.word or rng.random() < 0.5):
                head = head_of(c)
                n = data.count_py(core_py, lambda i: region_ok(c, i))
                if n != 1:
                    return None
                if len(c.core) >= 3 and rng.random() < 0.25 and data.count_py(core_py) == 1:
                    # part of the core in hanzi, the rest in pinyin: 益rui
                    k = rng.randrange(1, len(c.core))
                    return c.core[:k] + "".join(core_py[k:]), "core_hanzi+core_pinyin"
                return head + "".join(core_py), "region_hanzi+core_pinyin"
            if c.word:
                n = data.count_py(core_py + name_pinyin(data, c, c.word))
                q = "".join(core_py) + c.word
                return (q, "core_pinyin+word_hanzi") if n == 1 else None
            return None
        if kind == "deletion":
            start = c.name.find(c.core)
            spans = [("core", start, start + len(c.core))]
            if c.word:
                w = c.name.find(c.word, start + len(c.core))
                if w >= 0:
                    spans.append(("word", w, w + len(c.word)))
            part, lo, hi = rng.choice(spans)
            pos = rng.randrange(lo, hi)
            q = c.name[:pos] + c.name[pos + 1 :]
            near = process.extract(
                q, data.names, scorer=Levenshtein.distance, score_cutoff=2, limit=5
            )
            if any(data.names[i] != c.name for _, _, i in near):
                return None
            return q, part
        raise ValueError(kind)

    for kind, want in CUSTOMER_KINDS.items():
        order = companies[:]
        rng.shuffle(order)
        got = 0
        for c in order:
            if got >= want:
                break
            made = make(kind, c)
            if made and (kind, made[0]) not in used:
                emit(kind, c, *made)
                got += 1
    return out


# -- products ----------------------------------------------------------------------------------

MASS_MG = {"mg": 1, "g": 1_000, "kg": 1_000_000, "t": 1_000_000_000}
WEIGHT_FAMILIES = {"SW", "SN", "CW", "CR", "PT", "CU"}
MATERIAL_OF = {
    "SW": {"304", "stainless"},
    "SN": {"316", "stainless", "nonmagnetic"},
    "CW": {"castiron"},
    "CR": {"chrome"},
    "PT": {"ptfe"},
    "CU": {"copper"},
}
SHAPES = {
    "C": ("圆柱", "圆柱形", "cylindrical", "yuanzhu"),
    "S": ("方形", "方形", "square", "fangxing"),
    "L": ("锁型", "锁形", "lock-type", "suoxing"),
    "H": ("钩码", "钩码", "hook", "gouma"),
    "CT": ("C型", "C形", "c-type", None),
    "ZT": ("增砣", "增砣", "slotted", "zengtuo"),
    "HD": ("手提", "手提式", "handle", "shouti"),
    "RG": ("吊环", "吊环", "lifting ring", "diaohuan"),
    "D": ("饼式", "饼形", "disc", "bingshi"),
    "DH": ("双钩", "双钩", "double hook", "shuanggou"),
    "P": ("片状", "片形", "sheet", "pianzhuang"),
}
MATERIAL_WORDS = {
    # material tag → (hanzi words, english words, pinyin words)
    "304": (("304", "304不锈钢"), ("SS304", "304 stainless"), ("304",)),
    "316": (("316", "316无磁", "316L"), ("SS316", "316 stainless"), ("316",)),
    "nonmagnetic": (("无磁",), ("non-magnetic", "nonmagnetic"), ("wuci",)),
    "stainless": (("不锈钢",), ("stainless", "stainless steel"), ("buxiugang",)),
    "castiron": (("铸铁",), ("cast iron",), ("zhutie",)),
    "chrome": (("镀铬",), ("chrome plated", "chrome"), ("duge",)),
    "ptfe": (("聚四氟", "聚四氟乙烯"), ("PTFE", "teflon"), ("jusifu",)),
    "copper": (("铜", "黄铜"), ("brass",), ("huangtong",)),
}
CERT_WORDS = {
    "CNAS": (("CNAS", "含CNAS证书", "CNAS校准"), ("with CNAS certificate", "CNAS")),
    "JJG": (("检定证书", "带检定证书", "JJG"), ("with JJG verification", "JJG")),
}


@dataclass
class Product:
    sku: str
    name: str
    family: str
    kind: str  # weight, set, gauge, gauge_set, floor, platform, balance, es, other
    grade: str | None = None
    mass: tuple[str, float] | None = None  # (unit base, value) mg / lb / n
    shape: str | None = None
    cert: str | None = None
    length: float | None = None
    capacity: float | None = None  # mg
    dims: tuple[float, float] | None = None  # mm
    variant: str | None = None
    material: str | None = None  # gauge: ST / CE; platform: CS / SS
    readability: float | None = None
    range_: tuple[float, float] | None = None


def _mass(text: str) -> tuple[str, float] | None:
    m = re.fullmatch(r"([\d.]+)\s*(mg|g|kg|t|lb|n)", text.strip().lower())
    if not m:
        return None
    value, unit = float(m[1]), m[2]
    if unit in MASS_MG:
        return ("mg", value * MASS_MG[unit])
    return (unit, value)


def read_products(path: Path) -> list[Product]:
    out = []
    with path.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            sku, name = r["sku"], r["name"]
            spec = dict(p.split(":", 1) for p in r["specs"].split(";") if ":" in p)
            parts = sku.split("-")
            fam = parts[0]
            p = Product(sku, name, fam, "other")
            if parts[-1] in ("CNAS", "JJG", "BOX"):
                p.cert = parts[-1]
            if fam in WEIGHT_FAMILIES:
                p.kind = "weight"
                p.grade = parts[1]
                p.mass = _mass(spec["标称值"])
                p.shape = parts[3]
            elif fam == "SET":
                p.kind = "set"
                p.grade = parts[2]
                p.material = parts[1]
                lo, hi = spec["范围"].split("-")
                a, b = _mass(lo), _mass(hi)
                p.range_ = (a[1], b[1]) if a and b else None
            elif fam == "GB":
                p.kind = "gauge"
                p.material = parts[1][:2]
                p.grade = parts[1][2:]
                p.length = float(parts[2])
            elif fam == "GBS":
                p.kind = "gauge_set"
            elif fam == "FS":
                p.kind = "floor"
                p.capacity = _mass(spec["最大称量"])[1]
                m = re.match(r"([\d.]+)×([\d.]+)m", spec.get("台面尺寸", ""))
                p.dims = (float(m[1]) * 1000, float(m[2]) * 1000) if m else None
                p.variant = parts[-1]
            elif fam == "PS":
                p.kind = "platform"
                p.capacity = _mass(spec["最大称量"])[1]
                m = re.match(r"([\d.]+)×([\d.]+)mm", spec.get("台面尺寸", ""))
                p.dims = (float(m[1]), float(m[2])) if m else None
                p.material = parts[-1]
            elif fam == "EB":
                p.kind = "balance"
                p.capacity = _mass(spec["最大称量"])[1]
                p.readability = _mass(spec["可读性"])[1]
            out.append(p)
    return out


def fmt_num(v: float) -> str:
    return f"{v:.6f}".rstrip("0").rstrip(".")


def mass_text(mass: tuple[str, float], rng: random.Random, style: str) -> str:
    """A mass the way a rep writes it: 500g, 500克, 0.5kg, 5公斤, 1吨 …"""
    unit, value = mass
    if unit == "lb":
        return f"{fmt_num(value)}{rng.choice(['lb', 'lb', '磅'] if style == 'zh' else ['lb'])}"
    if unit == "n":
        return f"{fmt_num(value)}N"
    options = [
        name
        for name, factor in MASS_MG.items()
        if 1 <= value / factor < 10_000 and round(value / factor, 3) == value / factor
    ]
    if value >= 1_000_000_000:
        options = [n for n in options if n != "g"]
    if 100_000 <= value < 1_000_000 and rng.random() < 0.15:
        options = ["kg"]  # 0.5kg
    if not options:
        options = ["mg"]
    name = rng.choice(options)
    v = fmt_num(value / MASS_MG[name])
    if style == "zh":
        word = {
            "mg": ["毫克", "mg"],
            "g": ["克", "g"],
            "kg": ["公斤", "千克", "kg"],
            "t": ["吨", "t"],
        }[name]
        return v + rng.choice(word)
    if style == "upper":
        return v + rng.choice([name, name.upper()])
    return v + name


def grade_text(grade: str, rng: random.Random, style: str) -> str:
    g = rng.choice([grade, grade.lower()]) if style != "zh" else grade
    if style == "zh":
        return g + rng.choice(["级", "级", ""])
    if style == "en":
        return rng.choice([f"class {grade}", grade, f"{grade} class"])
    return g + rng.choice(["", "", "级"])


def glue_join(parts: list[str]) -> str:
    """Join without spaces, except before a number that would run into a code (F1 2kg)."""
    out = prev = ""
    for part in parts:
        run_in = out and out[-1].isascii() and out[-1].isalnum()
        word_then_word = prev.isascii() and prev.isalpha() and part[0].isascii()
        if run_in and (part[0].isdigit() or word_then_word):
            out += " "  # F1 2kg, JJG M3: never F12kg or JJGM3
        out += part
        prev = part
    return out


class ProductGen:
    def __init__(self, products: list[Product], rng: random.Random) -> None:
        self.products = products
        self.rng = rng
        self.by_sku = {p.sku: p for p in products}

    # accept: every product satisfying the query's constraints ---------------------------

    def accept(self, **want: Any) -> list[str]:
        out = []
        for p in self.products:
            if want.get("kind") and p.kind != want["kind"]:
                continue
            if "grade" in want and p.grade != want["grade"]:
                continue
            if "mass" in want and p.mass != want["mass"]:
                continue
            if "shape" in want and p.shape != want["shape"]:
                continue
            if "materials" in want and not (want["materials"] <= MATERIAL_OF.get(p.family, set())):
                continue
            if "cert" in want and p.cert != want["cert"]:
                continue
            if "length" in want and p.length != want["length"]:
                continue
            if "gmat" in want and p.material != want["gmat"]:
                continue
            if "capacity" in want and p.capacity != want["capacity"]:
                continue
            if "dims" in want and (p.dims is None or sorted(p.dims) != sorted(want["dims"])):
                continue
            if "variant" in want and p.variant != want["variant"]:
                continue
            if "readability" in want and p.readability != want["readability"]:
                continue
            if "range_" in want and p.range_ != want["range_"]:
                continue
            if "set_mat" in want and p.material not in want["set_mat"]:
                continue
            out.append(p.sku)
        return out

    def pick(self, kinds: tuple[str, ...], pred: Callable[[Product], bool] | None = None):
        pool = [p for p in self.products if p.kind in kinds and (pred is None or pred(p))]
        return self.rng.choice(pool)

    # one query per kind -----------------------------------------------------------------

    def weight_query(self, style: str) -> tuple[str, Product, dict[str, Any], str] | None:
        """A weight described by class, mass and optionally shape, material and certificate."""
        rng = self.rng
        p = self.pick(("weight",), lambda p: p.mass is not None and p.mass[0] == "mg")
        want: dict[str, Any] = {"kind": "weight", "grade": p.grade, "mass": p.mass}
        parts: list[str] = [grade_text(p.grade, rng, style), mass_text(p.mass, rng, style)]
        if style != "material" and rng.random() < 0.5 and p.shape in SHAPES:
            want["shape"] = p.shape
            words = SHAPES[p.shape]
            parts.append(rng.choice(words[:2]) if style != "en" else words[2])
        mats = sorted(MATERIAL_OF[p.family])
        if style == "material" or rng.random() < 0.35:
            tag = rng.choice(mats)
            want["materials"] = {tag}
            hz, en, _ = MATERIAL_WORDS[tag]
            parts.append(rng.choice(en if style == "en" else hz))
            if style == "material" and rng.random() < 0.4:
                del want["grade"]
                parts = parts[1:]
        if p.cert in CERT_WORDS and rng.random() < 0.2:
            want["cert"] = p.cert
            parts.append(rng.choice(CERT_WORDS[p.cert][1 if style == "en" else 0]))
        return parts, p, want

    def make(self, kind: str) -> tuple[str, str, list[str], str] | None:
        rng = self.rng
        if kind == "exact":
            p = self.pick(("weight", "set", "gauge", "gauge_set", "floor", "platform", "other"))
            return p.name, p.sku, [p.sku], "name"
        if kind == "sku":
            p = rng.choice(self.products)
            q = p.sku if rng.random() < 0.7 else p.sku.lower()
            return q, p.sku, [p.sku], "sku"
        if kind == "sku_partial":
            p = rng.choice(self.products)
            how = rng.choice(["lower", "spaces", "nohyphen", "truncate", "truncate"])
            if how == "lower":
                q = p.sku.lower()
            elif how == "spaces":
                q = p.sku.replace("-", " ")
                q = q if rng.random() < 0.5 else q.lower()
            elif how == "nohyphen":
                q = p.sku.replace("-", "").lower()
            else:
                parts = p.sku.split("-")
                if len(parts) < 3:
                    return None
                keep = rng.randrange(2, len(parts))
                q = "-".join(parts[:keep])
                if not re.search(r"\d", q) or q in self.by_sku:
                    return None
                q = q.lower() if rng.random() < 0.6 else q
                accept = [s for s in self.by_sku if s.startswith("-".join(parts[:keep]) + "-")]
                # Only a prefix that names one product line (its certificate variants).
                base = "-".join(parts[:keep])
                lines = {re.sub(r"-(CNAS|JJG|BOX)$", "", s) for s in accept}
                if len(lines) != 1 or (base not in lines and len(accept) > 4):
                    return None
                return q, p.sku, accept, "truncate"
            return q, p.sku, [p.sku], how
        if kind in ("model", "model_zh", "material", "english", "pinyin"):
            return self.attribute_query(kind)
        if kind == "traditional":
            conv = rng.choice(sorted(_S2T))
            if rng.random() < 0.5:
                p = self.pick(("weight", "gauge", "floor", "platform", "set"))
                q = _S2T[conv].convert(p.name)
                return (q, p.sku, [p.sku], f"name:{conv}") if q != p.name else None
            made = self.attribute_query("model_zh")
            if not made:
                return None
            q0, target, accept, _variant = made
            q = _S2T[conv].convert(q0)
            return (q, target, accept, f"model_zh:{conv}") if q != q0 else None
        raise ValueError(kind)

    def attribute_query(self, kind: str) -> tuple[str, str, list[str], str] | None:
        rng = self.rng
        roll = rng.random()
        if kind == "pinyin":
            return self.pinyin_query()
        if roll < 0.6 or (kind == "material" and roll < 0.75):
            style = {
                "model": "plain",
                "model_zh": "zh",
                "material": "material",
                "english": "en",
            }[kind]
            parts, p, want = self.weight_query(style)
            if kind == "model_zh":
                word = "砝码" if want.get("shape") not in ("H",) else ""
                parts.insert(rng.randrange(len(parts) + 1), word)
            if kind == "english":
                parts.append(rng.choice(["weight", "test weight", "weights", ""]))
            rng.shuffle(parts)
            glue = kind == "model_zh" and rng.random() < 0.5
            q = glue_join([x for x in parts if x]) if glue else " ".join(x for x in parts if x)
            variant = "weight" + ("_cert" if "cert" in want else "")
            return q, p.sku, self.accept(**want), variant
        if roll < 0.8:
            p = self.pick(("gauge",))
            want = {"kind": "gauge", "grade": p.grade, "length": p.length}
            length = fmt_num(p.length)
            grade = {"plain": f"{p.grade}级", "zh": f"{p.grade}级", "en": f"grade {p.grade}"}
            mat_hz = {"ST": "钢制", "CE": "陶瓷"}[p.material]
            mat_en = {"ST": "steel", "CE": "ceramic"}[p.material]
            if kind == "english":
                want["gmat"] = p.material
                q = f"{mat_en} gauge block {length}mm {grade['en']}"
            elif kind == "material":
                want = {"kind": "gauge", "gmat": p.material, "length": p.length}
                q = rng.choice([f"{mat_hz}量块 {length}", f"{length}mm {mat_hz}量块"])
                if rng.random() < 0.4:
                    want["grade"] = p.grade
                    q += f" {p.grade}级"
            else:
                bits = ["量块", rng.choice([length, length + "mm"]), grade["zh"]]
                rng.shuffle(bits)
                q = " ".join(bits) if rng.random() < 0.5 else glue_join(bits)
                if kind == "model_zh" and rng.random() < 0.5:
                    want["gmat"] = p.material
                    q = mat_hz + q
            return q, p.sku, self.accept(**want), "gauge"
        if roll < 0.92:
            p = self.pick(("floor",), lambda p: p.dims is not None)
            want: dict[str, Any] = {"kind": "floor", "capacity": p.capacity, "dims": p.dims}
            cap = fmt_num(p.capacity / 1e9)
            a, b = (fmt_num(d / 1000) for d in p.dims)
            word_zh = {"EX": "防爆", "SS": "不锈钢", "STD": ""}[p.variant]
            if kind == "english":
                word = {"EX": "explosion-proof ", "SS": "stainless ", "STD": ""}[p.variant]
                if p.variant != "STD":
                    want["variant"] = p.variant
                q = f"{word}floor scale {cap}t {a}x{b}m"
            elif kind == "model_zh" or kind == "material":
                if p.variant == "STD" and kind == "material":
                    return None
                if p.variant != "STD":
                    want["variant"] = p.variant
                q = f"{cap}{rng.choice(['吨', 't'])}{word_zh}地磅 {a}米×{b}米"
            else:
                q = rng.choice([f"地磅 {cap}t {a}x{b}", f"{cap}t地磅 {a}*{b}"])
            return q, p.sku, self.accept(**want), "floor"
        if kind == "english" and roll < 0.96:
            p = self.pick(("balance",))
            want = {"kind": "balance", "capacity": p.capacity, "readability": p.readability}
            cap = fmt_num(p.capacity / 1000)
            read = fmt_num(p.readability)
            word = "analytical balance" if p.readability < 1 else "precision balance"
            return f"{word} {cap}g {read}mg", p.sku, self.accept(**want), "balance"
        p = self.pick(("platform",), lambda p: p.dims is not None)
        want = {"kind": "platform", "capacity": p.capacity, "dims": p.dims}
        cap = mass_text(("mg", p.capacity), rng, "zh" if kind == "model_zh" else "plain")
        a, b = (fmt_num(d / 10) for d in p.dims)
        if kind == "english":
            q = f"platform scale {cap} {fmt_num(p.dims[0])}x{fmt_num(p.dims[1])}mm"
        elif kind == "material":
            want["gmat"] = p.material
            q = f"{'碳钢' if p.material == 'CS' else '不锈钢'}平台秤 {cap} {a}x{b}"
        else:
            q = rng.choice([f"平台秤 {cap} {a}x{b}", f"{cap}台秤 {a}×{b}"])
        return q, p.sku, self.accept(**want), "platform"

    def pinyin_query(self) -> tuple[str, str, list[str], str] | None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.45:
            parts, p, want = self.weight_query("plain")
            want.pop("cert", None)
            parts = [p.grade.lower() + rng.choice(["", "", "ji"])]
            parts.append(mass_text(p.mass, rng, "plain"))
            tag = rng.choice(sorted(MATERIAL_OF[p.family] - {"304", "316"}))
            want = {"kind": "weight", "grade": p.grade, "mass": p.mass, "materials": {tag}}
            word = MATERIAL_WORDS[tag][2][0]
            if rng.random() < 0.4 and p.shape in SHAPES and SHAPES[p.shape][3]:
                want["shape"] = p.shape
                word += SHAPES[p.shape][3]
            parts.insert(0, word + rng.choice(["fama", " fama", ""]))
            return " ".join(parts), p.sku, self.accept(**want), "weight"
        if roll < 0.8:
            p = self.pick(("gauge",))
            want = {"kind": "gauge", "grade": p.grade, "length": p.length}
            head = "liangkuai"
            if rng.random() < 0.3:
                want["gmat"] = p.material
                head = {"ST": "gangzhi", "CE": "taoci"}[p.material] + rng.choice(["", " "]) + head
            q = f"{head} {fmt_num(p.length)} {p.grade.lower()}ji"
            return q, p.sku, self.accept(**want), "gauge"
        p = self.pick(("floor",), lambda p: p.dims is not None)
        want = {"kind": "floor", "capacity": p.capacity, "dims": p.dims}
        a, b = (fmt_num(d / 1000) for d in p.dims)
        q = f"dibang {fmt_num(p.capacity / 1e9)}t {a}x{b}"
        return q, p.sku, self.accept(**want), "floor"


def gen_products(products: list[Product], rng: random.Random) -> list[dict[str, Any]]:
    gen = ProductGen(products, rng)
    out: list[dict[str, Any]] = []
    used: set[str] = set()
    for kind, want in PRODUCT_KINDS.items():
        got = tries = 0
        while got < want and tries < want * 50:
            tries += 1
            made = gen.make(kind)
            if not made:
                continue
            query, target, accept, variant = made
            if query in used or not accept or target not in accept or len(accept) > 12:
                continue
            used.add(query)
            out.append(
                {
                    "entity": "product",
                    "kind": kind,
                    "query": query,
                    "target": target,
                    "accept": accept,
                    "variant": variant,
                }
            )
            got += 1
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=Path, required=True)
    parser.add_argument("--products", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    queries = gen_customers(CustomerData(args.customers), rng)
    queries += gen_products(read_products(args.products), rng)
    counts: Counter[str] = Counter()
    with args.out.open("w", encoding="utf-8") as fh:
        for q in queries:
            prefix = "c" if q["entity"] == "customer" else "p"
            counts[prefix] += 1
            q = {"id": f"g{prefix}{counts[prefix]:04d}", **q}
            fh.write(json.dumps(q, ensure_ascii=False) + "\n")
    kinds = Counter((q["entity"], q["kind"]) for q in queries)
    for (entity, kind), n in sorted(kinds.items()):
        print(f"{entity:<9}{kind:<13}{n:>5}", file=sys.stderr)
    print(f"total {len(queries)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
