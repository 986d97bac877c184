"""OCI-4 (Abramovitch, Abramowitz, McKay, J Anxiety Disord 2021;78:102354): sum 0-16.

Four OCI-R items, one per dimension (washing, checking, ordering, obsessing), rated for distress
in the past month. The cutoff is configurable (default 4) pending a check against the article.
"""

from __future__ import annotations

from .base import Instrument, Item, Scale

KEYS = ("oci4_1", "oci4_2", "oci4_3", "oci4_4")
OPTIONS = ((0, "Not at all"), (1, "A little"), (2, "Moderately"), (3, "A lot"), (4, "Extremely"))

INSTRUMENT = Instrument(
    key="oci4",
    name="OCI-4 (Obsessive-Compulsive Inventory-4)",
    title="Habits and thoughts that are hard to shake",
    stem=(
        "The following statements refer to experiences that many people have in their everyday "
        "lives. Choose the answer that best describes how much that experience has distressed "
        "or bothered you during the past month."
    ),
    items=(
        Item("oci4_1", "I wash my hands more often and longer than necessary.", OPTIONS),
        Item("oci4_2", "I check things more often than necessary.", OPTIONS),
        Item("oci4_3", "I get upset if objects are not arranged properly.", OPTIONS),
        Item("oci4_4", "I find it difficult to control my own thoughts.", OPTIONS),
    ),
    source=(
        "Abramovitch A, Abramowitz JS, McKay D. The OCI-4: an ultra-brief screening scale for "
        "obsessive-compulsive disorder. J Anxiety Disord 2021;78:102354. Items from the OCI-R "
        "(Foa EB et al., Psychol Assess 2002;14:485-496)."
    ),
    wording_verified=False,
    wording_note=(
        "NOT CONFIRMED: the four item texts are OCI-R items for washing, checking, ordering and "
        "obsessing, chosen from the OCI-R; which OCI-R item the article kept for each dimension, "
        "and its published cutoff, could not be read from the article. Verify against "
        "Abramovitch et al. 2021 before go-live (clinical-reference.md 6)."
    ),
)

SCALE = Scale(INSTRUMENT, KEYS, cutoff="oci4")  # positive at >= 4 by default (configurable)
