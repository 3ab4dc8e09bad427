"""The tables. Schema changes go through Alembic migrations in `storage/migrations/`."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both databases (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Role(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    ADMIN = "admin"


class Grade(StrEnum):
    A = "A"
    B = "B"
    C = "C"


class CustomerType(StrEnum):
    RETAIL = "retail"
    DEALER = "dealer"
    KEY_ACCOUNT = "key_account"


class CustomerStatus(StrEnum):
    PROSPECT = "prospect"
    ACTIVE = "active"
    DORMANT = "dormant"
    LOST = "lost"


class ContactLevel(StrEnum):
    OPERATIONS = "operations"
    MANAGEMENT = "management"
    DECISION = "decision"


class ContactFunction(StrEnum):
    TECHNICAL = "technical"
    PURCHASING = "purchasing"
    USER_DEPARTMENT = "user_department"


class BuyingRole(StrEnum):
    INITIATOR = "initiator"
    DECISION_MAKER = "decision_maker"
    DESIGNER = "designer"
    EVALUATOR = "evaluator"
    USER = "user"


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


manager_teams = Table(
    "manager_teams",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
)


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Timestamped, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(String(16))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    language: Mapped[str | None] = mapped_column(String(8))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_customer_id: Mapped[int | None] = mapped_column(Integer)
    """The customer whose card the user opened last, a hint for context-aware answers.

    No foreign key: users and customers would reference each other, and a stale id only means
    the hint is ignored.
    """
    last_customer_at: Mapped[datetime | None] = mapped_column()

    team: Mapped[Team | None] = relationship(lazy="raise")
    """Read with `storage.queries.users.team_of` where it is shown: the user is loaded on every
    update, and as the owner with every customer, and joining the team to each cost about 4 %
    of a search's work."""
    managed_teams: Mapped[list[Team]] = relationship(secondary=manager_teams, lazy="raise")
    """Written when a manager is made; read with `storage.queries.users.managed_teams_of`, so
    the lookup of the user on every update does not load it too."""


class ChannelIdentity(Base):
    """A platform account bound to a user; pushes go to every active one."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("platform", "platform_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    platform_user_id: Mapped[str] = mapped_column(String(128))
    chat_id: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Invite(Base):
    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    role: Mapped[Role] = mapped_column(String(16))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    for_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    """Set when the code links another chat app to an existing user instead of making one."""
    expires_at: Mapped[datetime]
    uses_left: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    team: Mapped[Team | None] = relationship(lazy="joined")


class Customer(Timestamped, Base):
    __tablename__ = "customers"
    __table_args__ = (Index("ix_customers_updated_at", "updated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(200), unique=True)
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    grade: Mapped[Grade] = mapped_column(String(1), default=Grade.C)
    type: Mapped[CustomerType | None] = mapped_column(String(16))
    industry: Mapped[str | None] = mapped_column(String(50))
    region: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(300))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    phone: Mapped[str | None] = mapped_column(String(50))
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[CustomerStatus] = mapped_column(String(16), default=CustomerStatus.ACTIVE)
    source: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    search_keys: Mapped[dict[str, Any] | None] = mapped_column(JSON, deferred=True)
    """Computed at write time by the search service; the in-memory index is built from them."""
    search_keys_version: Mapped[int] = mapped_column(Integer, default=0)

    owner: Mapped[User | None] = relationship(lazy="joined")
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="customer",
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by="Contact.id",
    )


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(50))
    level: Mapped[ContactLevel | None] = mapped_column(String(16))
    function: Mapped[ContactFunction | None] = mapped_column(String(16))
    buying_role: Mapped[BuyingRole | None] = mapped_column(String(16))
    notes: Mapped[str | None] = mapped_column(Text)
    birthday: Mapped[date | None] = mapped_column(Date)

    customer: Mapped[Customer] = relationship(back_populates="contacts")


class Product(Timestamped, Base):
    __tablename__ = "products"
    __table_args__ = (Index("ix_products_updated_at", "updated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(50))
    specs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    unit: Mapped[str | None] = mapped_column(String(16))
    search_keys: Mapped[dict[str, Any] | None] = mapped_column(JSON, deferred=True)
    search_keys_version: Mapped[int] = mapped_column(Integer, default=0)


class ProcessedUpdate(Base):
    """A platform update already acted on; the router skips a second delivery."""

    __tablename__ = "processed_updates"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class DialogState(Base):
    """Where a user is in a multi-step conversation, saved after every step."""

    __tablename__ = "dialog_states"
    __table_args__ = (UniqueConstraint("user_id", "channel", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(128))
    dialog: Mapped[str] = mapped_column(String(50))
    state: Mapped[str] = mapped_column(String(50))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    history: Mapped[list[Any]] = mapped_column(default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)


class Push(Base):
    """A message waiting to be pushed to a user; written in the same transaction as its cause."""

    __tablename__ = "pushes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    replies: Mapped[list[Any]] = mapped_column()
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_pushes_pending", "sent_at", "due_at"),)


class VisitPurpose(StrEnum):
    """The daily visit plan's own list of purposes (DOMAIN.md, Visits)."""

    NEW_CUSTOMER = "new_customer"
    MARKET_RESEARCH = "market_research"
    COLLECTION = "collection"
    SERVICE = "service"
    COMPLAINT = "complaint"
    ORDERING = "ordering"
    OTHER = "other"


class Severity(StrEnum):
    """How urgent news is; only news serious enough to affect sales goes out at once."""

    NOTE = "note"
    SERIOUS = "serious"
    CRITICAL = "critical"


class FollowUpStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


visit_contacts = Table(
    "visit_contacts",
    Base.metadata,
    Column("visit_id", ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True),
    Column("contact_id", ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True),
)


class Visit(Timestamped, Base):
    """One visit (拜访) as the daily visit report asks for it; edits go to the audit log."""

    __tablename__ = "visits"
    __table_args__ = (
        Index("ix_visits_customer_visited_at", "customer_id", "visited_at"),
        Index("ix_visits_rep_visited_at", "rep_id", "visited_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    visited_at: Mapped[datetime]
    purpose: Mapped[VisitPurpose] = mapped_column(String(16), default=VisitPurpose.OTHER)
    outcome: Mapped[str | None] = mapped_column(Text)
    collected_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    complaint: Mapped[str | None] = mapped_column(Text)
    competitor_info: Mapped[str | None] = mapped_column(Text)
    feedback: Mapped[str | None] = mapped_column(Text)
    customer_news: Mapped[str | None] = mapped_column(Text)
    lesson: Mapped[str | None] = mapped_column(Text)
    objections: Mapped[list[Any]] = mapped_column(default=list)
    """Objection type codes (`price`, `existing_supplier`…); the objection scripts key on them."""
    next_step: Mapped[str | None] = mapped_column(Text)
    no_next_step_reason: Mapped[str | None] = mapped_column(Text)
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    """Check-in distance from the customer's coordinates, when both are known."""
    attachments: Mapped[list[Any]] = mapped_column(default=list)
    """Stored file references: `{"kind", "file_ref", "file_name"}` per photo or document."""
    expenses: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    severity: Mapped[Severity | None] = mapped_column(String(16))
    urgent_reasons: Mapped[list[Any]] = mapped_column(default=list)
    raw_text: Mapped[str | None] = mapped_column(Text)
    """The one-message log as typed, kept so nothing the rep wrote is lost to the parser."""

    customer: Mapped[Customer] = relationship(lazy="joined")
    rep: Mapped[User] = relationship(lazy="joined")
    contacts: Mapped[list[Contact]] = relationship(
        secondary=visit_contacts, lazy="selectin", order_by="Contact.id"
    )
    orders: Mapped[list[VisitOrder]] = relationship(
        back_populates="visit",
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by="VisitOrder.id",
    )


class VisitOrder(Base):
    """An order line taken on a visit: the product as typed, matched to the catalogue if known."""

    __tablename__ = "visit_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    product_text: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))

    visit: Mapped[Visit] = relationship(back_populates="orders")
    product: Mapped[Product | None] = relationship(lazy="joined")


class FollowUp(Timestamped, Base):
    """Something the rep promised to do for a customer by a date; the rep's to-do list."""

    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_rep_status_due_on", "rep_id", "status", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"))
    what: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date] = mapped_column(Date)
    due_time: Mapped[time | None] = mapped_column(Time)
    status: Mapped[FollowUpStatus] = mapped_column(String(8), default=FollowUpStatus.OPEN)
    done_at: Mapped[datetime | None] = mapped_column()
    snoozes: Mapped[int] = mapped_column(Integer, default=0)

    customer: Mapped[Customer] = relationship(lazy="joined")


class VisitPlan(Base):
    """A rep's daily visit plan (每日拜访计划); the day's log is compared with it."""

    __tablename__ = "visit_plans"
    __table_args__ = (UniqueConstraint("rep_id", "plan_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    plan_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    items: Mapped[list[PlannedVisit]] = relationship(
        back_populates="plan",
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by="PlannedVisit.id",
    )


class PlannedVisit(Base):
    __tablename__ = "planned_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("visit_plans.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    planned_time: Mapped[time | None] = mapped_column(Time)
    purpose: Mapped[VisitPurpose] = mapped_column(String(16), default=VisitPurpose.OTHER)

    plan: Mapped[VisitPlan] = relationship(back_populates="items")
    customer: Mapped[Customer] = relationship(lazy="joined")


class ScriptOutcome(StrEnum):
    """What the rep reported after using an answer; only worked/failed count as trials."""

    WORKED = "worked"
    FAILED = "failed"
    UNUSED = "unused"


class SuggestionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ObjectionType(Base):
    """One recurring objection (异议): its names and example phrasings in every language."""

    __tablename__ = "objection_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    """Stable key (`price`, `existing_supplier`…); visits store it in `Visit.objections`."""
    names: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """`{"zh_CN": "…", "zh_TW": "…", "en": "…"}`."""
    examples: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Phrasings per language, the matcher's training text: `{"zh_CN": ["…"], …}`."""
    cues: Mapped[list[Any]] = mapped_column(default=list)
    """Weighted key phrases `[[phrase, weight], …]` in folded (Simplified, lower-case) form."""
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    """Hash of the seed file's names, cues and examples last written here: seeding refreshes
    the row only when the file's version of the type changed."""
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    """Bumped whenever names, cues or examples change, so the matcher's cache key changes."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    scripts: Mapped[list[ObjectionScript]] = relationship(
        back_populates="objection_type", lazy="selectin", order_by="ObjectionScript.id"
    )


class ObjectionScript(Timestamped, Base):
    """A prepared answer to one objection, for one listener level and industry (None: any).

    The current text lives here; every saved edit also becomes a `ScriptVersion`. The counts
    are running totals of `ScriptUse` outcomes, kept for the /scripts overview.
    """

    __tablename__ = "objection_scripts"
    __table_args__ = (Index("ix_objection_scripts_type_id_active", "type_id", "active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("objection_types.id", ondelete="CASCADE"))
    code: Mapped[str | None] = mapped_column(String(64), unique=True)
    """Seed scripts carry a code so seeding is idempotent; scripts written in chat have none."""
    title: Mapped[str] = mapped_column(String(100))
    level: Mapped[ContactLevel | None] = mapped_column(String(16))
    industry: Mapped[str | None] = mapped_column(String(50))
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Answer text per language, with `{customer}`, `{contact}`… placeholders."""
    tips: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Per language: `{"next": "what to do next", "avoid": "what never to say"}`."""
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    use_count: Mapped[int] = mapped_column(Integer, default=0)
    worked_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    unused_count: Mapped[int] = mapped_column(Integer, default=0)

    objection_type: Mapped[ObjectionType] = relationship(back_populates="scripts", lazy="joined")


class ScriptVersion(Base):
    """A script as it read after one save; the history managers can look back on."""

    __tablename__ = "script_versions"
    __table_args__ = (UniqueConstraint("script_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    script_id: Mapped[int] = mapped_column(
        ForeignKey("objection_scripts.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(100))
    level: Mapped[str | None] = mapped_column(String(16))
    industry: Mapped[str | None] = mapped_column(String(50))
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tips: Mapped[dict[str, Any]] = mapped_column(default=dict)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScriptUse(Base):
    """One answer shown to a rep, and what the rep said came of it."""

    __tablename__ = "script_uses"
    __table_args__ = (Index("ix_script_uses_user_id_asked_at", "user_id", "asked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    script_id: Mapped[int] = mapped_column(
        ForeignKey("objection_scripts.id", ondelete="CASCADE"), index=True
    )
    script_version: Mapped[int] = mapped_column(Integer, default=1)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL")
    )
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    industry: Mapped[str | None] = mapped_column(String(50))
    """The customer's industry when asked, so per-industry ranking survives later edits."""
    query: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    outcome: Mapped[ScriptOutcome | None] = mapped_column(String(8))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"))
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome_at: Mapped[datetime | None] = mapped_column()

    script: Mapped[ObjectionScript] = relationship(lazy="joined")


class ScriptSuggestion(Base):
    """A rep's proposed improvement to a script, waiting for a manager's yes or no."""

    __tablename__ = "script_suggestions"
    __table_args__ = (Index("ix_script_suggestions_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    script_id: Mapped[int] = mapped_column(
        ForeignKey("objection_scripts.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[SuggestionStatus] = mapped_column(String(8), default=SuggestionStatus.PENDING)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    script: Mapped[ObjectionScript] = relationship(lazy="joined")
    author: Mapped[User | None] = relationship(foreign_keys=[user_id], lazy="joined")


class TeamChat(Base):
    """A group chat linked to a team: where that team's digests are posted."""

    __tablename__ = "team_chats"
    __table_args__ = (UniqueConstraint("platform", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(128))
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)

    team: Mapped[Team] = relationship(lazy="joined")
