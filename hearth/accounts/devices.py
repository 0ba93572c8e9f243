"""Names people recognise for their devices ("Firefox on Windows"), read from the User-Agent by ua-parser.

ua-parser's rules are maintained upstream (ua-parser-builtins ships them), so new
browsers get names by upgrading a package, not by editing regular expressions here.
"""

import functools

from ua_parser import parse

OS_NAMES = {"Mac OS X": "macOS"}


@functools.lru_cache(maxsize=1024)
def device_name(user_agent):
    """ "Browser on OS", or whichever of the two is known, or "Unknown device"."""
    if not user_agent:
        return "Unknown device"
    result = parse(user_agent)
    browser = result.user_agent.family if result.user_agent and result.user_agent.family != "Other" else None
    system = result.os.family if result.os and result.os.family != "Other" else None
    system = OS_NAMES.get(system, system)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown device"


def current_first(sessions, current_id):
    """The device in hand first, then the others as they were ordered (most recently active first)."""
    return sorted(sessions, key=lambda s: s.id != current_id)
