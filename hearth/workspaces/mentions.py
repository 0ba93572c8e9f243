"""Telling people they were mentioned: a `mention` frame to every socket of theirs, subscribed or not.

Called after the commit of the change that mentions them, through the one announce gateway, so a
mention of something rolled back is never sent. `subject` names what mentions them: `message=` or `card=`
(the object as the API shows it).
"""

from flask import current_app

from hearth.realtime import announce


def announce_mentions(user_ids, topic, **subject):
    """Send `{"type":"mention","topic", **subject}` to each of these users once."""
    announcer = announce.of(current_app)
    for user_id in dict.fromkeys(user_ids):
        announcer.to_user(user_id, {"type": "mention", "topic": str(topic), **subject})
