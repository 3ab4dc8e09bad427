"""Product attribute parser and write-time product keys.

The same :func:`parse_attributes` reads a catalogue name when keys are written and a rep's query
when searching, so 50公斤, 50 kg and 50000g meet as ``mg:50000000`` and 鎖型, 锁形 and lock-type
all become ``lock``.
"""

from __future__ import annotations

import re
from typing import Any

from bot.services.search.normalize import fold

KEYS_VERSION = 2

_NUM = r"(\d+(?:\.\d+)?)"
# A number glued to a preceding letter or digit is part of a code (RS485, HT200, M1), not a value.
_NUM_START = r"(?<![a-z0-9.])"

MASS_UNITS: dict[str, tuple[str, float]] = {
    "毫克": ("mg", 1),
    "mg": ("mg", 1),
    "克": ("mg", 1_000),
    "g": ("mg", 1_000),
    "公斤": ("mg", 1_000_000),
    "千克": ("mg", 1_000_000),
    "kg": ("mg", 1_000_000),
    "吨": ("mg", 1_000_000_000),
    "t": ("mg", 1_000_000_000),
    # Pounds and newtons are their own catalogue lines (英磅砝码, 牛顿砝码), so they are kept in
    # their own unit rather than converted to a mass that would never be typed.
    "英磅": ("lb", 1),
    "英镑": ("lb", 1),
    "磅": ("lb", 1),
    "lbs": ("lb", 1),
    "lb": ("lb", 1),
    "牛顿": ("n", 1),
    "牛": ("n", 1),
    "n": ("n", 1),
}
LENGTH_UNITS: dict[str, float] = {
    "毫米": 1,
    "mm": 1,
    "厘米": 10,
    "cm": 10,
    "米": 1000,
    "m": 1000,
}
_UNIT_ALT = "|".join(sorted(map(re.escape, MASS_UNITS), key=len, reverse=True))
_LEN_ALT = "|".join(sorted(map(re.escape, LENGTH_UNITS), key=len, reverse=True))
_RANGE_RE = re.compile(
    rf"{_NUM_START}{_NUM}\s*({_UNIT_ALT})\s*[-~至到]\s*{_NUM}\s*({_UNIT_ALT})(?![a-z])"
)
_DIMS_RE = re.compile(rf"{_NUM_START}{_NUM}\s*({_LEN_ALT})?\s*x\s*{_NUM}\s*({_LEN_ALT})?(?![a-z])")
# Mass units may be followed by a letter only when that starts a class (100gf1).
_MASS_RE = re.compile(rf"{_NUM_START}{_NUM}\s*({_UNIT_ALT})(?![a-dg-ln-z])")
_LENGTH_RE = re.compile(rf"{_NUM_START}{_NUM}\s*(mm|毫米)(?![a-z])")
_PIECES_RE = re.compile(rf"{_NUM_START}(\d+)\s*(块|件|pcs|pieces)")
_OIML_RE = re.compile(
    r"(?<![a-z0-9])(?:class\s*)?(e1|e2|f1|f2|m1|m2|m3|m11|m12|m22)(?![0-9])\s*(?:级|ji)?"
)
_GAUGE_GRADE_RE = re.compile(
    r"(?<![a-z0-9.])(?:grade\s*([012k])(?![0-9a-z])|([012k])\s*(?:级|ji))"
)
_CN_GRADE_RE = re.compile(r"([一二三四五六])等")
# A material grade glued to what follows (304f2, 316lm1) is two words: the number is no code.
_MATERIAL_GLUE_RE = re.compile(r"(?<![0-9a-z.])((?:sus|ss)?(?:304|316l?))(?=[a-z])")
_BARE_NUM_RE = re.compile(rf"{_NUM_START}{_NUM}(?![0-9])")
_LATIN_WORD_RE = re.compile(r"[a-z][a-z0-9]*")

# Old Chinese weight grades (JJG 99) beside their nearest OIML class.
CN_GRADES = {"一": "E2", "二": "F1", "三": "F2", "四": "M1", "五": "M2", "六": "M3"}

# term → (field, value). Hanzi and pinyin terms match anywhere (reps glue pinyin: wucifama);
# English terms match whole words. Longest terms are consumed first, so 不锈钢 is not read as 钢.
_VOCAB: dict[str, tuple[str, str]] = {}


def _add(field: str, value: str, terms: str) -> None:
    for term in terms.split("|"):
        _VOCAB[term] = (field, value)


_add("tag", "316", "316l|316|sus316|ss316")
_add("tag", "304", "304|sus304|ss304")
_add("tag", "stainless", "不锈钢|不锈刚|不锈|stainless steel|stainless|buxiugang|buxiu")
_add("tag", "nonmagnetic", "无磁|non-magnetic|nonmagnetic|non magnetic|wuci")
_add("tag", "cast_iron", "铸铁|灰铸铁|cast iron|cast-iron|zhutie")
_add("tag", "chrome", "镀铬|chrome plated|chrome-plated|chrome|duge")
_add("tag", "ceramic", "陶瓷|ceramic|zirconia|taoci")
_add("tag", "ptfe", "聚四氟乙烯|聚四氟|ptfe|teflon|jusifu")
_add("tag", "brass", "黄铜|铜制|铜|brass|copper|huangtong|tongzhi")
_add("tag", "carbon", "碳钢|carbon steel|tangang")
_add("tag", "steel", "钢制|钢|steel|gangzhi")
_add("tag", "explosion_proof", "防爆|explosion-proof|explosion proof|fangbao")
_add("tag", "mobile", "移动式|移动|手推|mobile|yidong")
_add("tag", "waterproof", "防水|waterproof|fangshui")
_add("shape", "cylinder", "圆柱形|圆柱|圆形|cylindrical|cylinder|yuanzhu|yuanzhuxing")
_add("shape", "sheet", "片状|片形|片式|sheet|plate|foil|pianzhuang")
_add("shape", "square", "方形|方块|square|rectangular|fangxing")
_add("shape", "lock", "锁型|锁形|锁式|lock-type|lock type|lock|suoxing")
_add("shape", "double_hook", "双钩|双勾|double hook|double-hook|shuanggou")
_add("shape", "hook", "钩码|挂钩|单钩|单勾|钩|勾|hook|hooked|gouma")
_add("shape", "c_type", "c型|c形|c-type|c type|c-shaped")
_add("shape", "slotted", "增砣|增陀|槽形|槽型|slotted|counterpoise|zengtuo")
_add("shape", "handle", "手提|提手|handle|hand-held|handheld|shouti")
_add("shape", "ring", "吊环|ring|lifting ring|diaohuan")
_add("shape", "disc", "饼式|饼形|disc|disk|bingshi")
_add("shape", "pound", "英磅砝码|英镑砝码|pound")
_add("shape", "newton", "牛顿砝码|newton")
_add("shape", "elevator", "电梯试验|电梯|elevator|dianti")
_add("cat", "weight", "砝码|test weight|weights|weight|fama")
_add("cat", "set", "套装|成套|套|set|kit|taozhuang")
_add("cat", "gauge_block", "量块|gauge blocks|gauge block|block|liangkuai")
_add("cat", "floor_scale", "地磅|地秤|floor scale|dibang")
_add("cat", "platform_scale", "平台秤|台秤|platform scale|pingtaicheng")
_add("cat", "balance", "天平|balance|tianping")
_add("cat", "scale", "电子秤|秤|scale|cheng|dianzicheng")
_add("cat", "indicator", "称重仪表|仪表|indicator|yibiao")
_add("cat", "controller", "显示控制器|控制器|controller")
_add("cert", "CNAS", "cnas校准证书|校准证书|cnas|calibration certificate|calibration|jiaozhun")
_add("cert", "JJG", "计量检定证书|检定证书|检定|jjg|verification certificate|verification")
_add("cert", "BOX", "铝合金盒|带盒|盒|box|case")

_HANZI_TERMS = sorted((t for t in _VOCAB if not t.isascii()), key=len, reverse=True)
_LATIN_TERMS = sorted((t for t in _VOCAB if t.isascii()), key=len, reverse=True)
_HANZI_TERM_RE = re.compile("|".join(map(re.escape, _HANZI_TERMS)))
_LATIN_TERM_RE = re.compile("|".join(map(re.escape, _LATIN_TERMS)))
_ENGLISH_ONLY = frozenset(
    t for t in _LATIN_TERMS if " " in t or "-" in t or t in {"set", "case", "box", "lock", "ring"}
)

# Category implications: a floor scale is also a scale, a weight set is also weights.
_CAT_PARENTS = {
    "floor_scale": "scale",
    "platform_scale": "scale",
    "balance": "scale",
}
# Material implications used when tagging catalogue names.
_TAG_PARENTS = {"304": ("stainless", "steel"), "316": ("stainless", "steel", "nonmagnetic")}
_TAG_PARENTS_STAINLESS = ("steel",)


def canonical_number(value: float) -> str:
    """Stable text for a number: 1.20 and 1.2 are the same gauge length."""
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _mass(value: str, unit: str) -> str:
    base, factor = MASS_UNITS[unit]
    return f"{base}:{canonical_number(float(value) * factor)}"


def parse_attributes(text: str) -> dict[str, Any]:
    """Read grade, masses, dimensions, material tags, shape, category and certificate.

    Returns a JSON-ready dict; absent attributes are omitted. ``rest`` holds what was not
    understood (hanzi and latin words) for a loose text match.
    """
    s = fold(text).replace("（", "(").replace("）", ")")
    s = _MATERIAL_GLUE_RE.sub(r"\1 ", s)
    out: dict[str, Any] = {}
    masses: list[str] = []
    consumed: list[str] = []

    def cut(m: re.Match[str]) -> str:
        consumed.append(m.group())
        return " "

    def take_range(m: re.Match[str]) -> str:
        masses.extend((_mass(m[1], m[2]), _mass(m[3], m[4])))
        out["range"] = True
        return cut(m)

    s = _RANGE_RE.sub(take_range, s)

    def take_dims(m: re.Match[str]) -> str:
        unit = m[2] or m[4]
        if unit:
            factor = LENGTH_UNITS[unit]
            out["dims_mm"] = [float(m[1]) * factor, float(m[3]) * factor]
        else:
            out["dims"] = [float(m[1]), float(m[3])]
        return cut(m)

    s = _DIMS_RE.sub(take_dims, s)

    def take_length(m: re.Match[str]) -> str:
        out["length"] = canonical_number(float(m[1]))
        return cut(m)

    s = _LENGTH_RE.sub(take_length, s)

    def take_mass(m: re.Match[str]) -> str:
        masses.append(_mass(m[1], m[2]))
        return cut(m)

    s = _MASS_RE.sub(take_mass, s)
    if masses:
        out["masses"] = masses

    def take_pieces(m: re.Match[str]) -> str:
        out["pieces"] = int(m[1])
        return cut(m)

    s = _PIECES_RE.sub(take_pieces, s)

    def take_grade(m: re.Match[str]) -> str:
        out["grade"] = m[1].upper()
        return cut(m)

    s = _OIML_RE.sub(take_grade, s)

    def take_gauge_grade(m: re.Match[str]) -> str:
        out["grade"] = "G" + (m[1] or m[2]).upper()
        return cut(m)

    s = _GAUGE_GRADE_RE.sub(take_gauge_grade, s)

    def take_cn_grade(m: re.Match[str]) -> str:
        out["grade"] = CN_GRADES[m[1]]
        return cut(m)

    s = _CN_GRADE_RE.sub(take_cn_grade, s)
    fields: dict[str, set[str]] = {"tag": set(), "shape": set(), "cat": set(), "cert": set()}

    def take_term(m: re.Match[str]) -> str:
        field, value = _VOCAB[m.group()]
        fields[field].add(value)
        return cut(m)

    s = _HANZI_TERM_RE.sub(take_term, s)
    s = _take_latin_terms(s, take_term)
    if fields["tag"]:
        out["tags"] = sorted(fields["tag"])
    if fields["shape"]:
        # 双钩 also contains 钩: keep the more specific shape.
        shapes = fields["shape"] - ({"hook"} if "double_hook" in fields["shape"] else set())
        out["shapes"] = sorted(shapes)
    if fields["cat"]:
        out["cats"] = sorted(fields["cat"])
    if fields["cert"]:
        out["cert"] = sorted(fields["cert"])[0]
    numbers = [canonical_number(float(n)) for n in _BARE_NUM_RE.findall(s)]
    if numbers:
        out["numbers"] = numbers
    s = _BARE_NUM_RE.sub(" ", s)
    rest = [w for w in re.findall(r"[\u4e00-\u9fff]|[a-z][a-z0-9]*", s) if w not in "级的和带含"]
    if rest:
        out["rest"] = rest
    return out


def _take_latin_terms(s: str, take: Any) -> str:
    """Replace English words (whole words) and glued pinyin terms (anywhere)."""

    def repl(m: re.Match[str]) -> str:
        term = m.group()
        before = s[m.start() - 1 : m.start()]
        after = s[m.end() : m.end() + 1]
        glued = (before.isascii() and before.isalnum()) or (after.isascii() and after.isalpha())
        if glued and (term in _ENGLISH_ONLY or not _is_pinyin_term(term)):
            return term
        return take(m)

    return _LATIN_TERM_RE.sub(repl, s)


def _is_pinyin_term(term: str) -> bool:
    # Pinyin vocabulary is what a rep glues together (wucifama); English words are never glued.
    return term.isalpha() and term in _PINYIN_TERMS


_PINYIN_TERMS = frozenset(
    [
        "buxiugang",
        "buxiu",
        "wuci",
        "zhutie",
        "duge",
        "taoci",
        "jusifu",
        "huangtong",
        "tongzhi",
        "tangang",
        "gangzhi",
        "fangbao",
        "yidong",
        "fangshui",
        "yuanzhu",
        "yuanzhuxing",
        "pianzhuang",
        "fangxing",
        "suoxing",
        "shuanggou",
        "gouma",
        "zengtuo",
        "shouti",
        "diaohuan",
        "bingshi",
        "dianti",
        "fama",
        "taozhuang",
        "liangkuai",
        "dibang",
        "pingtaicheng",
        "tianping",
        "cheng",
        "dianzicheng",
        "yibiao",
        "jiaozhun",
    ]
)


def sku_tokens(sku: str) -> list[str]:
    """Upper-case SKU parts split on any separator: ``sw f1-20kg`` → SW, F1, 20KG."""
    return [t for t in re.split(r"[^0-9a-z.]+", fold(sku)) if t]


def product_keys(sku: str, name: str, category: str, specs: str) -> dict[str, Any]:
    """Compute the stored search keys of one product.

    Returns ``{"v", "sku", "sku_tokens", "text", "attrs"}``: ``sku`` is the SKU folded to lower
    case without separators, ``sku_tokens`` its parts, ``text`` the folded name, ``attrs`` the
    :func:`parse_attributes` result of the name and category plus ``cert`` from the SKU variant
    and implied material tags (304 is stainless steel). ``specs`` fills the shape and grade when
    the name lacks them.
    """
    tokens = sku_tokens(sku)
    attrs = parse_attributes(f"{name} {category}")
    spec = dict(part.split(":", 1) for part in specs.split(";") if ":" in part)
    if "shapes" not in attrs and spec.get("形状"):
        shape = parse_attributes(spec["形状"]).get("shapes")
        if shape:
            attrs["shapes"] = shape
    tags = set(attrs.get("tags", ()))
    for tag in list(tags):
        tags.update(_TAG_PARENTS.get(tag, ()))
    if "stainless" in tags:
        tags.update(_TAG_PARENTS_STAINLESS)
    if tags:
        attrs["tags"] = sorted(tags)
    cats = set(attrs.get("cats", ()))
    for cat in list(cats):
        if cat in _CAT_PARENTS:
            cats.add(_CAT_PARENTS[cat])
    if cats:
        attrs["cats"] = sorted(cats)
    variant = tokens[-1] if tokens else ""
    if variant in {"cnas", "jjg", "box"}:
        attrs["cert"] = variant.upper()
    else:
        attrs.pop("cert", None)  # 证书:无 or a set's 铝合金盒 packaging is not a variant
    attrs.pop("rest", None)
    return {
        "v": KEYS_VERSION,
        "sku": "".join(tokens),
        "sku_tokens": tokens,
        "text": fold(name),
        "attrs": attrs,
    }
