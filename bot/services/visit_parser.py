"""The one-message visit log: `华为 见了王总 谈F1砝码报价 嫌贵 下周三回访` read into a draft.

Reading is in two halves. `read_visit_log` is pure: it finds purpose, orders, money, objections,
urgent triggers, contacts mentioned, next step and dates, and lists the spans that might name the
customer. `draft_visit` then asks the search service about those spans (the same index the chat
searches with), matches contacts to the customer's and SKUs to the catalogue. Nothing is saved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from pypinyin import lazy_pinyin
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.dates import ParsedWhen, find_all_when, parse_when
from bot.services.search.service import CustomerMatch, SearchService
from storage.models import Contact, Severity, User, VisitPurpose
from storage.queries.customers import get_customer
from storage.queries.visits import products_by_sku

MIN_LOG_CHARS = 6
"""Shorter than this is a name or a model number being looked up, not a visit report."""
PICK_LIST_SIZE = 4
"""A short pick list fits a phone screen without scrolling."""

# Keyword tables, Simplified and Traditional side by side; matching is case-insensitive.
PURPOSE_WORDS: tuple[tuple[VisitPurpose, tuple[str, ...]], ...] = (
    # Order of priority: a complaint visit that also took an order is still a complaint visit.
    (VisitPurpose.COMPLAINT, ("投诉", "投訴", "客诉", "客訴", "complaint", "complain")),
    (
        VisitPurpose.COLLECTION,
        ("收款", "回款", "催款", "收账", "收賬", "货款", "貨款", "collect", "payment"),
    ),
    (VisitPurpose.ORDERING, ("订货", "訂貨", "下单", "下單", "订了", "訂了", "订单", "訂單")),
    (
        VisitPurpose.SERVICE,
        (
            "维修",
            "維修",
            "校准",
            "校準",
            "售后",
            "售後",
            "安装",
            "安裝",
            "培训",
            "培訓",
            "服务",
            "服務",
            "repair",
            "calibrat",
            "install",
            "training",
            "service",
        ),
    ),
    (
        VisitPurpose.NEW_CUSTOMER,
        (
            "新客户",
            "新客戶",
            "开发",
            "開發",
            "陌拜",
            "首次拜访",
            "首次拜訪",
            "第一次拜访",
            "第一次拜訪",
            "初次",
            "new customer",
            "first visit",
            "first meeting",
            "cold call",
            "prospect",
        ),
    ),
    (
        VisitPurpose.MARKET_RESEARCH,
        (
            "调研",
            "調研",
            "市场调查",
            "市場調查",
            "了解市场",
            "了解市場",
            "market research",
            "survey",
        ),
    ),
)

OBJECTION_WORDS: dict[str, tuple[str, ...]] = {
    "price": (
        "太贵",
        "太貴",
        "嫌贵",
        "嫌貴",
        "价格高",
        "價格高",
        "价格太高",
        "價格太高",
        "偏贵",
        "偏貴",
        "贵了",
        "貴了",
        "too expensive",
        "price too high",
        "price is too high",
        "pricey",
        "expensive",
    ),
    "competitor_cheaper": (
        "别家便宜",
        "別家便宜",
        "别人便宜",
        "別人便宜",
        "对手便宜",
        "對手便宜",
        "竞品便宜",
        "競品便宜",
        "cheaper elsewhere",
        "competitor is cheaper",
        "competitor cheaper",
    ),
    "existing_supplier": (
        "已有供应商",
        "已有供應商",
        "有供应商",
        "有供應商",
        "有合作厂家",
        "有合作廠家",
        "existing supplier",
        "already have a supplier",
        "already has a supplier",
        "current supplier",
    ),
    "think_it_over": (
        "考虑",
        "考慮",
        "再说",
        "再說",
        "再想想",
        "think about it",
        "think it over",
        "consider",
    ),
    "no_budget": (
        "没预算",
        "沒預算",
        "没有预算",
        "沒有預算",
        "预算不够",
        "預算不夠",
        "no budget",
        "budget is tight",
        "out of budget",
    ),
    "not_decision_maker": (
        "不负责",
        "不負責",
        "做不了主",
        "不能做主",
        "老板决定",
        "老闆決定",
        "not the decision maker",
        "not his decision",
        "not her decision",
        "can't decide",
    ),
    "send_material": (
        "先寄资料",
        "先寄資料",
        "先发资料",
        "先發資料",
        "请寄资料",
        "請寄資料",
        "send material first",
        "send some material first",
        "send me material",
        "send a brochure first",
    ),
    "in_house": ("自己能做", "自己做", "in-house", "in house"),
    "bad_experience": (
        "以前用过不满意",
        "以前用過不滿意",
        "以前不满意",
        "以前不滿意",
        "unhappy before",
        "bad experience",
    ),
    "quality_worry": (
        "担心质量",
        "擔心質量",
        "质量担心",
        "質量擔心",
        "怕质量",
        "怕質量",
        "worried about quality",
        "quality concern",
    ),
}
"""Objection type codes with the words that raise them; the objection scripts key on the codes."""

URGENT_COMPLAINT = "complaint"
URGENT_COMPETITOR = "competitor_promotion"
URGENT_STAFF = "staff_change"
_COMPETITOR = re.compile(
    r"(竞争对手|競爭對手|竞品|競品|对手|對手|同行|别家|別家|competitor|rival)", re.I
)
_PROMOTION = re.compile(
    r"(促销|促銷|降价|降價|新品|新产品|新產品|活动|活動|打折|特价|特價|优惠|優惠|送货上门"
    r"|promotion|promo|discount|price cut|new product|special offer)",
    re.I,
)
_STAFF_CHANGE = re.compile(
    r"(离职|離職|辞职|辭職|换人|換人|调走|調走|退休|新来的|新來的|新任|接任|接替|人事变动|人事變動"
    r"|left the company|resigned|retired|replaced by|new purchasing manager|new manager"
    r"|staff change)",
    re.I,
)
_SERIOUS_COMPLAINT = re.compile(
    r"(严重|嚴重|退货|退貨|索赔|索賠|赔偿|賠償|律师|律師|停用|召回|serious|refund|return|"
    r"lawyer|compensation|recall)",
    re.I,
)

_VISIT_VERBS = re.compile(
    r"(见了|見了|见到|見到|拜访|拜訪|拜会|拜會|去了|到访|到訪|面谈|面談|谈了|談了|谈|談|聊了|聊"
    r"|沟通|溝通|约见|約見|见面|見面|\bvisited\b|\bvisit\b|\bmet\b|\bmeeting\b|\btalked\b"
    r"|\bcalled on\b|\bdropped by\b)",
    re.I,
)
_NEXT_MARKER = re.compile(
    r"(下一步|下步|接下来|接下來|next\s*step|\bthen\b|\btodo\b|\bto do\b"
    r"|\bnext\b(?!\s+(?:mon|tue|wed|thu|fri|sat|sun|week|month|year)))\s*[:：]?\s*",
    re.I,
)
_FOLLOW_UP_VERBS = re.compile(
    r"(回访|回訪|复访|複訪|再访|再訪|跟进|跟進|送样|送樣|寄样|寄樣|送|寄|发报价|發報價|报价给|報價給"
    r"|约|約|再去|电话|電話|打电话|打電話|确认|確認|签合同|簽合同"
    r"|\bsend\b|\bcall\b|\bfollow[- ]?up\b|\bvisit again\b|\bbring\b|\bdeliver\b"
    r"|\bquote\b|\bdemo\b|\bmeet\b|\bcheck\b)",
    re.I,
)
# A visit's own words, which never name a customer when they lead the message.
_LEADING_NOISE = re.compile(
    r"^(今天|今日|昨天|昨日|刚才|剛才|上午|下午|早上|today|yesterday|this morning"
    r"|this afternoon)\s*",
    re.I,
)
_CUSTOMER_AFTER = re.compile(
    r"(?:拜访了?|拜訪了?|去了|到了|在|visited|visit to|visit|at|called on|dropped by)\s*"
    r"(?P<name>[^\s,，。;；:：]+(?:\s+[A-Z][\w&.-]*){0,2})",
    re.I,
)
COMMON_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
    "向汤张陳張劉楊黃趙吳孫馬許鄭謝韓馮鄧蕭葉蘇呂盧鍾譚陸範賈韋錢嚴龔萬閆龍賀顧"
)
"""Surnames that open `王总` / `李经理`; a role word alone ("采购经理") is not a person."""
_SURNAME = f"[{COMMON_SURNAMES}]"
_CONTACT_ZH = re.compile(
    rf"(?P<name>{_SURNAME}(?:总|總|经理|經理|主任|工|老板|老闆|科长|科長|处长|處長|部长|部長"
    r"|主管|厂长|廠長|总监|總監|小姐|先生|女士|老师|老師|师傅|師傅))"
    r"(?![\u4e00-\u9fff]{0,1}(?:部|处|處|室))"
)
_CONTACT_EN = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+(?P<name>[A-Z][a-z]+)", re.I)
_CONTACT_CUE = re.compile(
    r"(?:见了|見了|见到|見到|约了|約了|和|跟|与|與|找了|met|with)\s*"
    rf"(?P<name>{_SURNAME}[\u4e00-\u9fff]{{1,2}})"
)
_NOT_A_PERSON = {"客户", "客戶", "对方", "對方", "他们", "他們", "老板", "老闆"}

_SKU = re.compile(r"(?<![A-Za-z0-9-])[A-Za-z]{2,4}(?:-[A-Za-z0-9]+){1,5}(?![A-Za-z0-9-])")
_QUANTITY = r"(?P<qty>\d+(?:\.\d+)?)"
_UNITS = r"(?:个|個|件|套|台|只|块|塊|把|pcs|pc|sets?|units?)"
_MONEY = (
    r"(?:¥|￥|RMB|rmb)?\s*(?P<amount>\d+(?:\.\d+)?)\s*(?P<scale>万|萬|千|k|K|元|块|塊|rmb|yuan)"
)
_QUANTITY_AFTER = re.compile(rf"^\s*(?:x|X|×|\*|[:：])?\s*{_QUANTITY}(?!\d)\s*{_UNITS}?")
_QUANTITY_BEFORE = re.compile(rf"(?<![A-Za-z0-9.-]){_QUANTITY}\s*{_UNITS}?\s*(?:x|X|×|\*)?\s*$")
_ORDER_AMOUNT = re.compile(rf"^\s*[,，]?\s*(?:共|总价|總價|金额|金額|合计|合計|for|@)?\s*{_MONEY}")
_COLLECTION = re.compile(
    rf"(?:收款|回款|收了|收到|收回|收账|收賬|collected|received|payment of|paid)\s*"
    rf"(?:货款|貨款)?\s*{_MONEY}",
    re.I,
)
_SCALES = {"万": 10000, "萬": 10000, "千": 1000, "k": 1000, "K": 1000}
_CLAUSE = re.compile(r"[，,。.;；!！\n]+(?!\d)")
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True, slots=True)
class OrderLine:
    """An order as written; `product_id` is set once the SKU is found in the catalogue."""

    product_text: str
    quantity: Decimal
    amount: Decimal | None = None
    product_id: int | None = None


@dataclass(slots=True)
class VisitLog:
    """What one message says about a visit, before anything is looked up."""

    text: str
    customer_spans: list[str] = field(default_factory=list)
    contact_mentions: list[str] = field(default_factory=list)
    purpose: VisitPurpose | None = None
    orders: list[OrderLine] = field(default_factory=list)
    collected_amount: Decimal | None = None
    objections: list[str] = field(default_factory=list)
    urgent_reasons: list[str] = field(default_factory=list)
    severity: Severity | None = None
    complaint: str | None = None
    competitor_info: str | None = None
    next_step: str | None = None
    follow_up: ParsedWhen | None = None
    visited_on: date | None = None
    outcome: str | None = None


@dataclass(slots=True)
class VisitDraftReading:
    """A `VisitLog` with the customer, contacts and products looked up."""

    log: VisitLog
    customer: CustomerMatch | None = None
    customer_choices: list[CustomerMatch] = field(default_factory=list)
    contact_ids: list[int] = field(default_factory=list)
    new_contacts: list[str] = field(default_factory=list)


def _has(text: str, words: tuple[str, ...]) -> bool:
    lowered = text.casefold()
    return any(word.casefold() in lowered for word in words)


def _clauses(text: str) -> list[str]:
    """Comma-free Chinese logs use spaces as commas; English keeps its spaces inside a clause."""
    clauses = []
    for clause in _CLAUSE.split(text):
        parts = clause.split() if _CJK.search(clause) else [clause]
        clauses += [part.strip() for part in parts if part.strip()]
    return clauses


def _money(match: re.Match[str]) -> Decimal | None:
    try:
        amount = Decimal(match["amount"])
    except InvalidOperation:
        return None
    return amount * _SCALES.get(match["scale"], 1)


def read_orders(text: str) -> list[OrderLine]:
    """Order lines: `20 x SW-F1-20KG-C`, `SW-F1-20KG-C 20个 共5000元`, in the order written.

    A SKU takes the quantity written after it, else the one right before it that no earlier
    line took; a SKU without a quantity is a product mentioned, not ordered.
    """
    lines: list[OrderLine] = []
    taken_until = 0
    for sku in _SKU.finditer(text):
        if not any(char.isdigit() for char in sku.group()):
            continue
        after = _QUANTITY_AFTER.match(text[sku.end() :])
        before = _QUANTITY_BEFORE.search(text[taken_until : sku.start()])
        if after is not None:
            quantity, end = after["qty"], sku.end() + after.end()
        elif before is not None:
            quantity, end = before["qty"], sku.end()
        else:
            continue
        amount = _ORDER_AMOUNT.match(text[end:])
        lines.append(
            OrderLine(
                product_text=sku.group().upper(),
                quantity=Decimal(quantity),
                amount=_money(amount) if amount else None,
            )
        )
        taken_until = end + (amount.end() if amount else 0)
    return lines


def read_purpose(text: str, *, has_orders: bool = False) -> VisitPurpose | None:
    for purpose, words in PURPOSE_WORDS:
        if _has(text, words):
            return purpose
    return VisitPurpose.ORDERING if has_orders else None


def read_objections(text: str) -> list[str]:
    """Objection codes in the order of the table; "别家便宜" is not also "price"."""
    found = [code for code, words in OBJECTION_WORDS.items() if _has(text, words)]
    if "competitor_cheaper" in found and "price" in found:
        found.remove("price")
    return found


def read_urgency(clauses: list[str]) -> tuple[list[str], Severity | None, str | None, str | None]:
    """Urgent triggers, their severity, and the complaint and competitor clauses."""
    reasons: list[str] = []
    severity: Severity | None = None
    complaint = competitor = None
    complaint_words = PURPOSE_WORDS[0][1]
    for clause in clauses:
        if _has(clause, complaint_words):
            complaint = complaint or clause
            reasons.append(URGENT_COMPLAINT)
            serious = any(_SERIOUS_COMPLAINT.search(other) for other in clauses)
            severity = Severity.CRITICAL if serious else severity or Severity.SERIOUS
        if _COMPETITOR.search(clause):
            competitor = competitor or clause
            if _PROMOTION.search(clause):
                reasons.append(URGENT_COMPETITOR)
                severity = severity or Severity.SERIOUS
        if _STAFF_CHANGE.search(clause):
            reasons.append(URGENT_STAFF)
            severity = severity or Severity.SERIOUS
    return list(dict.fromkeys(reasons)), severity, complaint, competitor


def read_contact_mentions(text: str) -> list[str]:
    """People named: `王总`, `李经理`, `Mr Li`, or a bare name after 见了/和/met."""
    names: list[str] = []
    for pattern in (_CONTACT_ZH, _CONTACT_EN, _CONTACT_CUE):
        for match in pattern.finditer(text):
            name = match["name"]
            if name in _NOT_A_PERSON or any(name in known or known in name for known in names):
                continue
            if pattern is _CONTACT_CUE and _CONTACT_ZH.match(name):
                continue
            names.append(name)
    return names


def _customer_spans(text: str, contact_mentions: list[str]) -> list[str]:
    """Stretches of text that may name the customer, most likely first.

    The words after 拜访/visited/at; the head of the message before its first verb or person
    (`英浩刘经理嫌贵` → `英浩`); shorter prefixes of a run of Chinese; the next few words.
    """
    spans = []
    for match in _CUSTOMER_AFTER.finditer(text):
        words = match["name"].split()
        spans += [" ".join(words[:size]) for size in range(len(words), 0, -1)]
    lead = _LEADING_NOISE.sub("", text.strip())
    cuts = [m.start() for m in (_VISIT_VERBS.search(lead),) if m and m.start() > 0]
    cuts += [i for i in (lead.find(name) for name in contact_mentions) if i > 0]
    head = lead[: min(cuts)] if cuts else lead
    first = re.split(r"[\s,，。:：;；-]+", head.strip())[0]
    spans.append(first)
    if _CJK.match(first):
        spans += [first[:size] for size in range(min(len(first) - 1, 6), 1, -1)]
    spans += re.split(r"[\s,，。:：;；]+", lead)[1:3]
    cleaned = []
    for span in spans:
        span = span.strip(" .,'\"“”")
        if span and span not in cleaned and not _SKU.fullmatch(span):
            cleaned.append(span)
    return cleaned


def _next_step(
    clauses: list[str], text: str, dates: list[ParsedWhen], now: datetime
) -> str | None:
    marker = _NEXT_MARKER.search(text)
    if marker is not None:
        rest = _CLAUSE.split(text[marker.end() :], maxsplit=1)[0].strip()
        if rest:
            return rest
    for index, clause in enumerate(clauses):
        if not any(_date_in(clause, text, when) for when in dates):
            continue
        if _FOLLOW_UP_VERBS.search(clause):
            return clause
        if parse_when(clause, now) is not None and index + 1 < len(clauses):
            return f"{clause} {clauses[index + 1]}"
    return None


def _is_ahead(when: ParsedWhen, now: datetime) -> bool:
    """Later than now: a later day, or a time still to come today ("3点半再来电话")."""
    today = now.date()
    return when.day > today or (when.day == today and when.at is not None and when.at > now.time())


def _date_in(clause: str, text: str, when: ParsedWhen) -> bool:
    return text[when.start : when.end] in clause


def read_visit_log(text: str, now: datetime) -> VisitLog:
    """Everything `text` says about a visit that needs no database."""
    clauses = _clauses(text)
    orders = read_orders(text)
    log = VisitLog(text=text.strip(), orders=orders)
    log.purpose = read_purpose(text, has_orders=bool(orders))
    collected = _COLLECTION.search(text)
    log.collected_amount = _money(collected) if collected else None
    if log.collected_amount is not None and log.purpose is None:
        log.purpose = VisitPurpose.COLLECTION
    log.objections = read_objections(text)
    log.urgent_reasons, log.severity, log.complaint, log.competitor_info = read_urgency(clauses)
    log.contact_mentions = read_contact_mentions(text)
    log.customer_spans = _customer_spans(text, log.contact_mentions)

    dates = find_all_when(text, now)
    future = [when for when in dates if _is_ahead(when, now)]
    past = [when for when in dates if when not in future]
    log.visited_on = past[0].day if past else None
    log.next_step = _next_step(clauses, text, future, now)
    if future:
        in_step = [w for w in future if log.next_step and _date_in(log.next_step, text, w)]
        log.follow_up = (in_step or future)[0]
    if log.next_step is None and log.follow_up is not None:
        log.next_step = next(c for c in clauses if _date_in(c, text, log.follow_up))
    return log


def _outcome(log: VisitLog, customer_span: str | None) -> str | None:
    """The rep's own words, without the customer's name and the next step."""
    kept = []
    for clause in _clauses(log.text):
        if customer_span and clause.startswith(customer_span):
            clause = clause.removeprefix(customer_span).strip()
        if clause and clause != log.next_step:
            kept.append(clause)
    return "，".join(kept) or None


def looks_like_visit_log(text: str, *, objections_count: bool = True) -> bool:
    """A visit report rather than a lookup: long enough, and carrying a visit signal.

    Signals are a visit verb (见了, 拜访, visited, met), an order line, money collected, a
    next-step marker or (unless `objections_count` is off) an objection word. A date alone is
    not enough ("华为 明天" is more likely a question than a report), nor is a name or a model
    number with words around it. The plain-text routing asks without objections first, so
    "你们家东西也太贵了吧" is taken as an objection to answer, not a visit to log.
    """
    stripped = text.strip()
    if len(stripped) < MIN_LOG_CHARS or stripped.startswith("/"):
        return False
    return bool(
        _VISIT_VERBS.search(stripped)
        or read_orders(stripped)
        or _COLLECTION.search(stripped)
        or _NEXT_MARKER.search(stripped)
        or (objections_count and read_objections(stripped))
    )


def _surname_key(name: str) -> str:
    """The surname as pinyin, so `王总`, `王建国` and `Mr Wang` meet on `wang`."""
    return (lazy_pinyin(name[0])[0] if _CJK.match(name) else name).casefold()


def match_contacts(mentions: list[str], contacts: list[Contact]) -> tuple[list[int], list[str]]:
    """Mentions matched to the customer's contacts (full name, or surname when only one fits)."""
    matched: list[int] = []
    new: list[str] = []
    for mention in mentions:
        exact = [c for c in contacts if c.name == mention or mention.startswith(c.name)]
        by_surname = [c for c in contacts if _surname_key(c.name) == _surname_key(mention)]
        found = exact or (by_surname if len(by_surname) == 1 else [])
        if found and found[0].id not in matched:
            matched.append(found[0].id)
        elif not found:
            new.append(mention)
    return matched, new


async def resolve_customer(
    *, session: AsyncSession, search: SearchService, spans: list[str], user: User
) -> tuple[CustomerMatch | None, list[CustomerMatch], str | None]:
    """The customer the spans name (with the span): the first confident match, else the first
    short list of candidates."""
    choices: list[CustomerMatch] = []
    for span in spans:
        matches = await search.match_customers(
            session=session, text=span, user=user, limit=PICK_LIST_SIZE
        )
        confident = [match for match in matches if match.confident]
        if confident:
            return confident[0], [], span
        choices = choices or matches
    return None, choices, None


async def resolve_orders(*, session: AsyncSession, orders: list[OrderLine]) -> list[OrderLine]:
    """Attach catalogue products to order lines whose SKU exists."""
    products = await products_by_sku(session=session, skus=[line.product_text for line in orders])
    return [
        OrderLine(
            product_text=line.product_text,
            quantity=line.quantity,
            amount=line.amount,
            product_id=products[line.product_text].id if line.product_text in products else None,
        )
        for line in orders
    ]


async def draft_visit(
    *, session: AsyncSession, search: SearchService, text: str, user: User, now: datetime
) -> VisitDraftReading:
    """Read a one-message log and look up its customer, contacts and products."""
    log = read_visit_log(text, now)
    log.orders = await resolve_orders(session=session, orders=log.orders)
    customer, choices, span = await resolve_customer(
        session=session, search=search, spans=log.customer_spans, user=user
    )
    log.outcome = _outcome(log, span)
    reading = VisitDraftReading(log=log, customer=customer, customer_choices=choices)
    if customer is not None:
        row = await get_customer(session=session, customer_id=customer.customer_id)
        contacts = list(row.contacts) if row is not None else []
        named = [c.name for c in contacts if len(c.name) > 1 and c.name in text]
        mentions = named + [m for m in log.contact_mentions if m not in named]
        reading.contact_ids, reading.new_contacts = match_contacts(mentions, contacts)
    else:
        reading.new_contacts = list(log.contact_mentions)
    return reading
