"""Full-text search over a workspace's messages (replies included) and cards, newest first, a page at a time.

The query language: words (every one must match; the last also as a prefix), `"a phrase"`,
`from:username` and `in:channel-name` (or a board's name; `in:"two words"` too). Only letters and
digits of what was typed ever reach the full-text engine, each inside quotes the code writes itself,
so no FTS5 or tsquery syntax (`"`, `*`, `NEAR(`, `-`, `:`, `&`, `!`) can be smuggled in.

SQLite matches with FTS5 (tables `search_messages` and `search_cards`, kept current by triggers in the
writing transaction), PostgreSQL with `to_tsvector('simple', …)` stored in a generated column
`search_vector` (PostgreSQL only, not in the models) with a GIN index. Deleted messages have no text
left, and every filter goes through `access.readable_channel` / `readable_board`: only what the caller
may read now is found.

Snippets are cut here from the page's rows: escaped, with each word that matched in `<mark>`; no
text of a message reaches the page unescaped.
"""

import base64
import binascii
import re
import unicodedata
from dataclasses import dataclass, field
from html import escape

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from hearth.errors import DomainError
from hearth.extensions import db
from hearth.models import Board, Card, Channel, Message, User
from hearth.validation import MAX_ID
from hearth.workspaces.access import readable_board, readable_channel, workspace_for
from hearth.workspaces.channels import dm_people, seen_by

QUERY_MAX = 256  # characters of a query
TERMS_MAX = 16  # words, phrase words and filters together
LIMIT_DEFAULT, LIMIT_MAX = 20, 50
SNIPPET_WORDS = 24
TOKEN = re.compile(r'(?P<key>from|in):(?:"(?P<quoted>[^"]*)"?|(?P<value>\S+))|"(?P<phrase>[^"]*)"?|(?P<word>\S+)', re.I)
WORD = re.compile(r"[^\W_]+")
KIND_RANK = {"card": 0, "message": 1}  # ties of created_at: a message before a card, then the higher id


@dataclass
class Query:
    words: list = field(default_factory=list)
    phrases: list = field(default_factory=list)
    prefix: bool = False  # the last word also matches as a prefix
    authors: list = field(default_factory=list)
    places: list = field(default_factory=list)

    @property
    def has_text(self):
        return bool(self.words or self.phrases)


def parse_query(q):
    """The query's parts; 400 when it is empty or too long."""
    if not isinstance(q, str) or not q.strip():
        raise DomainError("invalid_input", "Type something to search for.", fields=["q"])
    if len(q) > QUERY_MAX or "\x00" in q:
        raise DomainError("invalid_input", f"A search is at most {QUERY_MAX} characters.", fields=["q"])
    query, last = Query(), None
    for token in TOKEN.finditer(q):
        last = token
        if token["key"]:
            value = (token["quoted"] if token["quoted"] is not None else token["value"] or "").strip()
            if value:
                (query.authors if token["key"].lower() == "from" else query.places).append(value.lower())
        elif token["phrase"] is not None:
            words = [w.lower() for w in WORD.findall(token["phrase"])]
            if len(words) == 1:
                query.words.append(words[0])
            elif words:
                query.phrases.append(words)
        else:
            query.words.extend(w.lower() for w in WORD.findall(token["word"]))
    query.prefix = bool(last is not None and last["word"] and WORD.search(last["word"]) and q[-1:].strip())
    terms = len(query.words) + sum(map(len, query.phrases)) + len(query.authors) + len(query.places)
    if terms > TERMS_MAX:
        raise DomainError("invalid_input", f"A search has at most {TERMS_MAX} words.", fields=["q"])
    if not (query.has_text or query.authors or query.places):
        raise DomainError("invalid_input", "Search for a word, a phrase, from: or in:.", fields=["q"])
    return query


def fts5_match(query):
    """An FTS5 MATCH expression: each word and phrase quoted (they hold letters and digits only)."""
    parts = [f'"{" ".join(words)}"' for words in query.phrases]
    for i, word in enumerate(query.words):
        last = i == len(query.words) - 1
        parts.append(f'"{word}"*' if last and query.prefix else f'"{word}"')
    return " ".join(parts)


def tsquery(query):
    """A to_tsquery expression: lexemes quoted, phrases with <->, the last word with :* when it is a prefix."""
    parts = ["(" + " <-> ".join(f"'{w}'" for w in words) + ")" for words in query.phrases]
    for i, word in enumerate(query.words):
        last = i == len(query.words) - 1
        parts.append(f"'{word}':*" if last and query.prefix else f"'{word}'")
    return " & ".join(parts)


def encode_cursor(message_before, card_before):
    raw = "|".join("" if bound is None else str(bound) for bound in (message_before, card_before)).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor):
    """(message id, card id) each page so far ended before (0: none of that kind is left; None: none shown
    yet); 400 when it is not a cursor this made."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        message_before, card_before = (None if part == "" else int(part) for part in raw.split("|"))
        if any(bound is not None and not 0 <= bound <= MAX_ID for bound in (message_before, card_before)):
            raise ValueError
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise DomainError("invalid_input", "before is not a cursor from a search.", fields=["before"]) from None
    return message_before, card_before


def search(user_id, workspace_id, q, limit=None, before=None):
    """{"results": [...], "next": cursor or None} for a member of the workspace (404 for anyone else).

    Messages and cards are each read newest first by id (ids rise with `created_at`, and the full-text
    engines return matches in id order, so a page stops early), then merged by `created_at`. The cursor
    holds where each kind's list stopped: a page neither repeats nor skips a result.
    """
    workspace = workspace_for(user_id, workspace_id)
    query = parse_query(q)
    limit = LIMIT_DEFAULT if limit is None else limit
    if not 1 <= limit <= LIMIT_MAX:
        raise DomainError("invalid_input", f"limit must be 1–{LIMIT_MAX}.", fields=["limit"])
    message_before, card_before = decode_cursor(before) if before else (None, None)
    sqlite = db.engine.dialect.name == "sqlite"
    found = []
    if message_before != 0:
        found += _messages(user_id, workspace.id, query, message_before, limit + 1, sqlite)
    if card_before != 0 and not query.authors:  # a card has no author: from: finds messages only
        found += _cards(user_id, workspace.id, query, card_before, limit + 1, sqlite)
    found.sort(key=lambda hit: (hit[0], KIND_RANK[hit[1]], hit[2]), reverse=True)
    page, more = found[:limit], len(found) > limit
    results = _results(user_id, query, page, sqlite)
    if not more:
        return {"results": results, "next": None}
    for kind in ("message", "card"):
        shown = [row_id for _, k, row_id in page if k == kind]
        left = any(k == kind for _, k, _ in found[limit:])
        bound = min(shown) if shown else (message_before if kind == "message" else card_before)
        if kind == "message":
            message_before = bound if left or shown else 0
        else:
            card_before = bound if left or shown else 0
    return {"results": results, "next": encode_cursor(message_before, card_before)}


def _place_filter(name_column, places):
    return sa.and_(*(sa.func.lower(name_column) == place for place in places))


def _matching(model, query, before, sqlite):
    """The newest rows of `model` (messages or cards) that match the query's words, ids below `before`:
    (created_at, id), for the caller to join and filter.

    On SQLite through the FTS5 table named after the model's; on PostgreSQL the planner chooses, from the
    stored `search_vector` column's statistics, between the GIN index first (then a sort: rare words) and
    the ids walked backwards testing each row's stored vector (common words)."""
    table = model.__tablename__
    if query.has_text and sqlite:
        index = sa.table(f"search_{table}", sa.column("rowid"))
        return (
            sa.select(model.created_at, model.id)
            .select_from(index)
            .join(model, model.id == index.c.rowid)
            .where(sa.text(f"search_{table} MATCH :match"), index.c.rowid < before if before else sa.true())
            .order_by(index.c.rowid.desc())
            .params(match=fts5_match(query))
        )
    select = sa.select(model.created_at, model.id).order_by(model.id.desc())
    if query.has_text:
        select = select.where(sa.text(f"{table}.search_vector @@ to_tsquery('simple', :match)")).params(
            match=tsquery(query)
        )
    return select.where(model.id < before) if before else select


def _messages(user_id, workspace_id, query, before, limit, sqlite):
    """[(created_at, "message", id)] of the newest matching messages with ids below `before`."""
    select = (
        _matching(Message, query, before, sqlite)
        .join(Channel, Channel.id == Message.channel_id)
        .where(
            Channel.workspace_id == workspace_id,
            readable_channel(user_id, Message.channel_id),
            Message.deleted_at.is_(None),
        )
    )
    if query.authors:
        select = select.join(User, User.id == Message.author_id).where(User.username.in_(query.authors))
    if query.places:
        select = select.where(_place_filter(Channel.name, query.places))
    rows = db.session.execute(select.limit(limit)).all()
    return [(created_at, "message", row_id) for created_at, row_id in rows]


def _cards(user_id, workspace_id, query, before, limit, sqlite):
    """[(created_at, "card", id)] of the newest matching cards with ids below `before`."""
    select = (
        _matching(Card, query, before, sqlite)
        .join(Board, Board.id == Card.board_id)
        .where(Board.workspace_id == workspace_id, readable_board(user_id, Card.board_id))
    )
    if query.places:
        select = select.where(_place_filter(Board.name, query.places))
    rows = db.session.execute(select.limit(limit)).all()
    return [(created_at, "card", row_id) for created_at, row_id in rows]


def _results(user_id, query, page, sqlite):
    message_ids = [row_id for _, kind, row_id in page if kind == "message"]
    card_ids = [row_id for _, kind, row_id in page if kind == "card"]
    messages = {
        m.id: m
        for m in db.session.scalars(
            sa.select(Message).where(Message.id.in_(message_ids)).options(joinedload(Message.author))
        )
    }
    cards = {c.id: c for c in db.session.scalars(sa.select(Card).where(Card.id.in_(card_ids)))}
    channel_ids = {m.channel_id for m in messages.values()}
    board_ids = {c.board_id for c in cards.values()}
    channels = {c.id: c for c in db.session.scalars(sa.select(Channel).where(Channel.id.in_(channel_ids)))}
    people = dm_people([c.id for c in channels.values() if c.kind == "dm"])
    boards = {b.id: b for b in db.session.scalars(sa.select(Board).where(Board.id.in_(board_ids)))}
    results = []
    for _, kind, row_id in page:
        if kind == "message":
            message = messages[row_id]
            text = snippet(message.body, query)
            results.append(
                {
                    "kind": "message",
                    "message": message.to_dict(user_id),
                    "channel": seen_by(user_id, channels[message.channel_id], people.get(message.channel_id, [])),
                    "snippet": text,
                }
            )
        else:
            card = cards[row_id]
            text = snippet(f"{card.title} — {card.description}" if card.description else card.title, query)
            results.append(
                {
                    "kind": "card",
                    "card": card.to_dict(),
                    "board": boards[card.board_id].to_dict(),
                    "snippet": text,
                }
            )
    return results


def folded(word):
    """A word as both engines compare it: lower case, accents dropped."""
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))


def snippet(text, query):
    """About SNIPPET_WORDS words of `text` around its first match, escaped, each matching word in <mark>."""
    words = {folded(w) for w in query.words} | {folded(w) for phrase in query.phrases for w in phrase}
    prefix = folded(query.words[-1]) if query.prefix and query.words else None
    tokens = list(WORD.finditer(text))

    def matches(token):
        word = folded(token.group())
        return word in words or (prefix is not None and word.startswith(prefix))

    first = next((i for i, token in enumerate(tokens) if matches(token)), 0)
    start = max(0, first - SNIPPET_WORDS // 4)
    shown = tokens[start : start + SNIPPET_WORDS]
    if not shown:
        return escape(text[:200])
    begin = 0 if start == 0 else shown[0].start()
    end = len(text) if start + SNIPPET_WORDS >= len(tokens) else shown[-1].end()
    parts, at = ["…" if begin else ""], begin
    for token in shown:
        parts.append(escape(text[at : token.start()]))
        word = escape(token.group())
        parts.append(f"<mark>{word}</mark>" if matches(token) else word)
        at = token.end()
    parts.append(escape(text[at:end]))
    parts.append("…" if end < len(text) else "")
    return "".join(parts)


def in_models(name, type_, parent_names):
    """Whether autogenerate compares a schema object with the models: not the full-text indexes the
    migration made by hand (SQLite's `search_*` FTS5 tables, PostgreSQL's `ix_*_search` GIN indexes and
    `search_vector` columns)."""
    if type_ == "table":
        return not name.startswith("search_")
    if type_ == "index":
        return not (name or "").endswith("_search")
    if type_ == "column":  # PostgreSQL's generated tsvector of messages and cards
        return name != "search_vector"
    return True
