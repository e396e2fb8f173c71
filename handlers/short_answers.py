"""The short answers the delivery asks for after a tap, kept as conversation kinds: a driver's
note on a stop (after ⚠️ Problem, `handlers/drivers.py`) and a member's comment on her rating
(`handlers/ratings.py`). Asked for while the other one waits, the older one's way back to
where the person was is kept (`interrupting`)."""

PROBLEM = "route_problem"  # a driver's note or photo about a stop comes next
COMMENT = "rating_comment"  # a member's comment on the rating they just gave
SHORT_ANSWERS = (PROBLEM, COMMENT)
