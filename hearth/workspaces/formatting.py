"""Message bodies as Markdown, rendered once on the server into the HTML that pages and clients show as it is.

CommonMark with GitHub's strikethrough and autolinks. Raw HTML in a body stays text, and images are never
fetched by URL (the image rule is off, so `![alt](url)` is at most a link). Whatever markdown-it emits then
passes nh3 (ammonia) with an allow-list of tags, attributes and URL schemes, so a bug in the renderer or a
trick it does not know still cannot put a script, an event handler or a `javascript:` link in a page.

`@username` of someone who may read the channel becomes `<span class="mention" data-user-id="N">`;
who that is, is the caller's answer (`mentionable`), so this module needs no database.
"""

import re
from types import SimpleNamespace

import nh3
from markdown_it import MarkdownIt, helpers

USERNAME_AT = re.compile(r"@([a-z0-9_.\-]{3,32})")
WORD = re.compile(r"[\w@.\-]")

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6", "span",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}, "span": {"data-user-id"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow"

SANITIZER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags={"script", "style"},
    attributes=ALLOWED_ATTRIBUTES,
    allowed_classes={"span": {"mention"}},
    url_schemes=URL_SCHEMES,
    link_rel=LINK_REL,
    strip_comments=True,
)


def mention_rule(state, silent):
    """`@username` of someone the renderer was told may be mentioned, not inside a word or an address."""
    if state.src[state.pos] != "@" or (state.pos > 0 and WORD.match(state.src[state.pos - 1])):
        return False
    match = USERNAME_AT.match(state.src, state.pos)
    if match is None:
        return False
    name = match.group(1).rstrip(".-")  # "@ada." ends a sentence
    user_id = state.env.get("mentionable", {}).get(name)
    if user_id is None:
        return False
    if not silent:
        token = state.push("mention", "", 0)
        token.meta = {"user_id": user_id, "username": name}
    state.pos += 1 + len(name)
    return True


def render_mention(renderer, tokens, index, options, env):
    meta = tokens[index].meta
    return f'<span class="mention" data-user-id="{int(meta["user_id"])}">@{meta["username"]}</span>'


def link_label_end(state, start, disable_nested=False):
    """markdown-it's parseLinkLabel, answered for every bracket on one walk instead of one walk per bracket.

    The plain one walks from each `[` to the end of the text when no `]` closes it, so a body of
    4,000 `[` took four million steps. Walking once with a stack of the open brackets finds where
    each of them closes (or that none does) on the same steps the plain one would take from it.
    """
    if not disable_nested:
        return helpers.parseLinkLabel(state, start, disable_nested)
    memo = state.__dict__.setdefault("link_label_ends", {}).setdefault(state.posMax, {})
    if start not in memo and state.src.find("]", start, state.posMax) == -1:
        memo[start] = -1  # nothing can close it: no walk at all
    if start not in memo:
        _walk_labels(state, start, memo)
    return memo[start]


def _walk_labels(state, start, memo):
    old_pos, state.pos, open_brackets = state.pos, start + 1, [start]
    while state.pos < state.posMax and open_brackets:
        marker = state.src[state.pos]
        if marker == "]":
            memo[open_brackets.pop()] = state.pos
            if not open_brackets:
                break
        before = state.pos
        skipped_to = state.cache.get(before)  # skipToken's own answer, without the call: most steps are known
        if skipped_to is None:
            state.md.inline.skipToken(state)
        else:
            state.pos = skipped_to
        if marker == "[":
            if before == state.pos - 1:
                open_brackets.append(before)
            else:  # a link inside a link's text: every label still open fails, as the plain walk does
                break
    for bracket in open_brackets:
        memo[bracket] = -1
    state.pos = old_pos


def _markdown():
    # ten levels of nested quotes, lists or brackets are plenty for a chat message, and each level
    # markdown-it explores costs time on a body built to be slow (docs/benchmarks.md)
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False, "maxNesting": 10})
    md.helpers = SimpleNamespace(
        parseLinkLabel=link_label_end,
        parseLinkDestination=helpers.parseLinkDestination,
        parseLinkTitle=helpers.parseLinkTitle,
    )
    md.enable(["strikethrough", "linkify"])
    md.disable(["image", "html_inline", "html_block"])  # raw HTML is text anyway: two rules less per character
    md.inline.ruler.push("mention", mention_rule)
    md.add_render_rule("mention", render_mention)
    return md


MARKDOWN = _markdown()


def mentioned_names(body):
    """The usernames a body could mention: the caller looks up which of them may be."""
    return {match.group(1).rstrip(".-") for match in USERNAME_AT.finditer(body)}


def render(body, mentionable=None):
    """The body as sanitized HTML; `mentionable` maps usernames to the ids of people who may be mentioned."""
    html = MARKDOWN.render(body, {"mentionable": mentionable or {}})
    return SANITIZER.clean(html).strip()
