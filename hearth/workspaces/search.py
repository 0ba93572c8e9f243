"""Full-text search over a workspace's messages (replies included) and cards, newest first, a page at a time.

The query language: words (every one must match; the last also as a prefix), `"a phrase"`,
`from:username` and `in:channel-name` (or a board's name; `in:"two words"` too). Only letters and
digits of what was typed ever reach the full-text engine, each inside quotes the code writes itself,
so no FTS5 or tsquery syntax (`"`, `*`, `NEAR(`, `-`, `:`, `&`, `!`) can be smuggled in.

SQLite matches with FTS5 (tables `search_messages` and `search_cards`, kept current by triggers in the
writing transaction), PostgreSQL with `to_tsvector('simple', …)` over a GIN index. Deleted messages
have no text left, and every filter goes through `access.readable_channel` / `readable_board`:
only what the caller may read now is found.

Snippets are made by the database with marker characters, then escaped here, and only then are
the markers turned into `<mark>`: no text of a message reaches the page unescaped.
"""

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import datetime
from html import escape

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from hearth.errors import DomainError
from hearth.extensions import db
from hearth.models import Board, Card, Channel, Message, User
from hearth.workspaces.access import readable_board, readable_channel, workspace_for

QUERY_MAX = 256  # characters of a query
TERMS_MAX = 16  # words, phrase words and filters together
LIMIT_DEFAULT, LIMIT_MAX = 20, 50
SNIPPET_WORDS = 24
OPEN, CLOSE = "\ue000", "\ue001"  # private-use characters around each match, until the text is escaped
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


def encode_cursor(created_at, kind, row_id):
    raw = f"{created_at.isoformat()}|{kind}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor):
    """(created_at, rank, id) of the last result of the page before; 400 when it is not one this made."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, kind, row_id = raw.split("|")
        created_at, rank, row_id = datetime.fromisoformat(stamp), KIND_RANK[kind], int(row_id)
        if created_at.tzinfo is None or not 0 < row_id < 2**31:
            raise ValueError
    except (ValueError, KeyError, binascii.Error, UnicodeDecodeError):
        raise DomainError("invalid_input", "before is not a cursor from a search.", fields=["before"]) from None
    return created_at, rank, row_id


def after_cursor(created_column, id_column, rank, cursor):
    """Rows that come after the cursor in the order (created_at, kind, id), newest first."""
    if cursor is None:
        return sa.true()
    created_at, cursor_rank, cursor_id = cursor
    if rank < cursor_rank:
        same_time = sa.true()
    elif rank > cursor_rank:
        same_time = sa.false()
    else:
        same_time = id_column < cursor_id
    return sa.or_(created_column < created_at, sa.and_(created_column == created_at, same_time))


def search(user_id, workspace_id, q, limit=None, before=None):
    """{"results": [...], "next": cursor or None} for a member of the workspace (404 for anyone else)."""
    workspace = workspace_for(user_id, workspace_id)
    query = parse_query(q)
    limit = LIMIT_DEFAULT if limit is None else limit
    if not 1 <= limit <= LIMIT_MAX:
        raise DomainError("invalid_input", f"limit must be 1–{LIMIT_MAX}.", fields=["limit"])
    cursor = decode_cursor(before) if before else None
    sqlite = db.engine.dialect.name == "sqlite"
    found = _messages(user_id, workspace.id, query, cursor, limit + 1, sqlite)
    if not query.authors:  # a card has no author: from: finds messages only
        found += _cards(user_id, workspace.id, query, cursor, limit + 1, sqlite)
    found.sort(key=lambda hit: (hit[0], KIND_RANK[hit[1]], hit[2]), reverse=True)
    page, more = found[:limit], len(found) > limit
    results = _results(user_id, query, page, sqlite)
    last = page[-1] if page else None
    return {"results": results, "next": encode_cursor(*last) if more and last else None}


def _place_filter(name_column, places):
    return sa.and_(*(sa.func.lower(name_column) == place for place in places))


def _messages(user_id, workspace_id, query, cursor, limit, sqlite):
    """[(created_at, "message", id)] of the newest matching messages."""
    select = (
        sa.select(Message.created_at, Message.id)
        .join(Channel, Channel.id == Message.channel_id)
        .where(
            Channel.workspace_id == workspace_id,
            readable_channel(user_id, Message.channel_id),
            Message.deleted_at.is_(None),
            after_cursor(Message.created_at, Message.id, KIND_RANK["message"], cursor),
        )
    )
    if query.authors:
        select = select.join(User, User.id == Message.author_id).where(User.username.in_(query.authors))
    if query.places:
        select = select.where(_place_filter(Channel.name, query.places))
    if query.has_text:
        if sqlite:
            select = select.where(
                Message.id.in_(
                    sa.text("SELECT rowid FROM search_messages WHERE search_messages MATCH :match").columns(
                        sa.column("rowid")
                    )
                )
            ).params(match=fts5_match(query))
        else:
            select = select.where(
                sa.text("to_tsvector('simple', messages.body) @@ to_tsquery('simple', :match)")
            ).params(match=tsquery(query))
    rows = db.session.execute(select.order_by(Message.created_at.desc(), Message.id.desc()).limit(limit)).all()
    return [(created_at, "message", row_id) for created_at, row_id in rows]


def _cards(user_id, workspace_id, query, cursor, limit, sqlite):
    select = (
        sa.select(Card.created_at, Card.id)
        .join(Board, Board.id == Card.board_id)
        .where(
            Board.workspace_id == workspace_id,
            readable_board(user_id, Card.board_id),
            after_cursor(Card.created_at, Card.id, KIND_RANK["card"], cursor),
        )
    )
    if query.places:
        select = select.where(_place_filter(Board.name, query.places))
    if query.has_text:
        if sqlite:
            select = select.where(
                Card.id.in_(
                    sa.text("SELECT rowid FROM search_cards WHERE search_cards MATCH :match").columns(
                        sa.column("rowid")
                    )
                )
            ).params(match=fts5_match(query))
        else:
            select = select.where(
                sa.text(
                    "to_tsvector('simple', cards.title || ' ' || cards.description) @@ to_tsquery('simple', :match)"
                )
            ).params(match=tsquery(query))
    rows = db.session.execute(select.order_by(Card.created_at.desc(), Card.id.desc()).limit(limit)).all()
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
    boards = {b.id: b for b in db.session.scalars(sa.select(Board).where(Board.id.in_(board_ids)))}
    snippets = _snippets(query, message_ids, card_ids, sqlite)
    results = []
    for _, kind, row_id in page:
        if kind == "message":
            message = messages[row_id]
            text = snippets.get(("message", row_id)) or message.body[:200]
            results.append(
                {
                    "kind": "message",
                    "message": message.to_dict(user_id),
                    "channel": channels[message.channel_id].to_dict(),
                    "snippet": marked(text),
                }
            )
        else:
            card = cards[row_id]
            text = snippets.get(("card", row_id)) or f"{card.title} {card.description}"[:200]
            results.append(
                {
                    "kind": "card",
                    "card": card.to_dict(),
                    "board": boards[card.board_id].to_dict(),
                    "snippet": marked(text),
                }
            )
    return results


def _snippets(query, message_ids, card_ids, sqlite):
    """{(kind, id): text with OPEN/CLOSE around each match} for the page's rows (None without words)."""
    if not query.has_text:
        return {}
    found = {}
    if sqlite:
        match = fts5_match(query)
        for kind, table, ids in (("message", "search_messages", message_ids), ("card", "search_cards", card_ids)):
            if not ids:
                continue
            rows = db.session.execute(
                sa.text(
                    f"SELECT rowid, snippet({table}, -1, :open, :close, '…', {SNIPPET_WORDS}) FROM {table}"
                    f" WHERE {table} MATCH :match AND rowid IN :ids"
                ).bindparams(sa.bindparam("ids", expanding=True)),
                {"open": OPEN, "close": CLOSE, "match": match, "ids": ids},
            ).all()
            found.update({(kind, row_id): text for row_id, text in rows})
        return found
    options = f"StartSel={OPEN}, StopSel={CLOSE}, MaxWords={SNIPPET_WORDS}, MinWords=8, MaxFragments=2"
    for kind, table, document, ids in (
        ("message", "messages", "body", message_ids),
        ("card", "cards", "title || ' ' || description", card_ids),
    ):
        if not ids:
            continue
        rows = db.session.execute(
            sa.text(
                f"SELECT id, ts_headline('simple', {document}, to_tsquery('simple', :match), :options) FROM {table}"
                " WHERE id IN :ids"
            ).bindparams(sa.bindparam("ids", expanding=True)),
            {"match": tsquery(query), "options": options, "ids": ids},
        ).all()
        found.update({(kind, row_id): text for row_id, text in rows})
    return found


def marked(text):
    """Escaped text, each match in <mark>."""
    return escape(text, quote=True).replace(OPEN, "<mark>").replace(CLOSE, "</mark>")


def in_models(name, type_, parent_names):
    """Whether autogenerate compares a schema object with the models: not the full-text indexes the
    migration made by hand (SQLite's `search_*` FTS5 tables, PostgreSQL's `ix_*_search` GIN indexes)."""
    if type_ == "table":
        return not name.startswith("search_")
    if type_ == "index":
        return not (name or "").endswith("_search")
    return True
