"""One colour per therapist on the calendar.

Taken from a fixed palette by the therapist's id, so a therapist keeps their colour from week to week and on every
screen, and neighbouring ids (the people a clinic adds one after another) get colours far apart. Every colour
carries white event text at a contrast of at least 4.5:1 (WCAG AA for small text).
"""

PALETTE = (
    "#1f5f8b",  # blue
    "#8a3b12",  # rust
    "#2b6b2e",  # green
    "#6b3fa0",  # purple
    "#9c2a4f",  # raspberry
    "#00695c",  # teal
    "#795500",  # ochre
    "#3f4f9e",  # indigo
    "#4d5d6c",  # slate
    "#a0306e",  # magenta
)


def therapist_color(therapist_id: int) -> str:
    return PALETTE[therapist_id % len(PALETTE)]
