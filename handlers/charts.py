"""A head's months as a picture (matplotlib, drawn off-screen): members per month as bars,
the fill rate and the average rating as lines over them."""

from __future__ import annotations

import io
from collections.abc import Sequence

from domain.scorecard import Scorecard
from texts.i18n import Translator


def scorecard_chart(t: Translator, cards: Sequence[Scorecard]) -> bytes:
    """PNG bytes of the head's months, oldest first."""
    # Imported here, not at the top: matplotlib (with numpy and Pillow) costs a process about
    # 0.4 s and 50 MB, and only a head asking for her chart needs it; the first chart pays it.
    import matplotlib

    matplotlib.use("Agg")  # no display: the chart is a PNG sent in the chat
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 3.6), dpi=110)
    members_axis = figure.subplots()
    months = [card.month for card in cards]
    members_axis.bar(months, [card.members for card in cards], color="#8ecae6",
                     label=t.gettext("Members"))  # fmt: skip
    members_axis.set_ylabel(t.gettext("Members"))
    rate_axis = members_axis.twinx()
    rate_axis.set_ylim(0, 100)
    rate_axis.set_ylabel("%")
    fill = [float(card.fill_rate) if card.fill_rate is not None else None for card in cards]
    rating = [float(card.rating) * 20 if card.rating is not None else None for card in cards]
    rate_axis.plot(months, [v if v is not None else float("nan") for v in fill], "o-",
                   color="#fb8500", label=t.gettext("Fill rate"))  # fmt: skip
    rate_axis.plot(months, [v if v is not None else float("nan") for v in rating], "s--",
                   color="#219ebc", label=t.gettext("Rating × 20"))  # fmt: skip
    handles = members_axis.get_legend_handles_labels()
    more = rate_axis.get_legend_handles_labels()
    rate_axis.legend(handles[0] + more[0], handles[1] + more[1], loc="lower left", fontsize=8)
    figure.suptitle(t.gettext("Your months"))
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
