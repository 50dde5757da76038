"""Signals threads sends for the apps above it (which threads may not import).

``post_edited`` is sent inside the transaction that changes a post's text, after the change is
stored, with ``post`` (fresh from the database) and ``outcome``:

- ``"published"``: the text readers see changed (an edit, an approved edit, a moderator's edit
  from the review queue or an appeal's undo);
- ``"held"``: an edit waits for a moderator (readers keep the published text);
- ``"declined"``: a moderator declined the waiting edit;
- ``"withdrawn"``: the author took the waiting edit back.

threads.commitments listens, to keep a case study's stored sections with its opening post.
"""

from __future__ import annotations

from django.dispatch import Signal

PUBLISHED = "published"
HELD = "held"
DECLINED = "declined"
WITHDRAWN = "withdrawn"

post_edited = Signal()


def send_post_edited(post, outcome: str) -> None:
    post_edited.send(sender=type(post), post=post, outcome=outcome)
