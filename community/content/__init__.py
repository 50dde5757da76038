"""Text the forum ships with: the five action areas and the first guidelines."""

COMMUNITY_GUIDELINES = """\
This forum is a safe space for honest, difficult conversations about race in the NHS.
Everything here is private to its members. By taking part you agree to:

1. **Respect lived experience.** Listen first. Do not question, minimise or explain away
   another member's experience of racism.
2. **No racist or discriminatory content.** This includes "jokes", slurs, stereotypes and
   dog whistles, whoever the target.
3. **Challenge ideas, not people.** No personal attacks, name-calling or pile-ons.
4. **Keep confidences.** What is shared here stays here. Do not copy, screenshot or repeat
   anything that could identify a colleague, patient or organisation outside this forum.
5. **Use content notes.** If you describe abuse or trauma, add a content note so others can
   choose when to read it.
6. **Be accountable.** You can post anonymously in a space; moderators can still see who wrote
   what, and the same guidelines apply.
7. **Flag, don't fight.** If something breaks these guidelines, flag it. Moderators review every
   flag and record every action they take.
"""

SPACES = [
    {
        "slug": "leadership-accountability",
        "name": "Leadership accountability",
        "position": 1,
        "summary": (
            "Race equality is core board business, not a side project. This space is for board "
            "members, executives and managers to hold themselves and each other to account at "
            "every level: setting defined, measurable outcomes, reporting on them honestly, "
            "asking the challenging questions in the boardroom, and sharing how they turned "
            "data such as WRES into action that changed staff and patients' experience."
        ),
    },
    {
        "slug": "inclusive-recruitment",
        "name": "Inclusive recruitment, retention and talent management",
        "position": 2,
        "summary": (
            "Building leadership pipelines that reflect the communities we serve, and keeping the "
            "talent we already have. Share what works in de-biasing recruitment and promotion, "
            "reverse and reciprocal mentoring, retaining ethnic-minority colleagues, and "
            "supporting internationally educated staff from their first week to their first "
            "promotion."
        ),
    },
    {
        "slug": "allyship",
        "name": "Allyship",
        "position": 3,
        "summary": (
            "Why allyship matters and how to do it well. A space to learn how to notice, name and "
            "interrupt racism, to use your position to make room for others, to get it wrong and "
            "learn from it, and to move from good intentions to consistent, visible action "
            "alongside colleagues of colour."
        ),
    },
    {
        "slug": "safe-spaces",
        "name": "Creating safe spaces for conversation about race",
        "position": 4,
        "summary": (
            "Peer learning and facilitated conversation about racism in the NHS. Here members "
            "share how they create the psychological safety for colleagues to speak up, run "
            "listening events and staff-network circles, and join our live, facilitated "
            "safe-space sessions in the spirit of “Can we talk about race?”."
        ),
    },
    {
        "slug": "health-inequalities",
        "name": "Tackling health inequalities",
        "position": 5,
        "summary": (
            "How racialised inequality worsens access to care, experience and outcomes for "
            "patients and service users, from maternity to mental health. Share evidence, "
            "case studies and data-led improvement work, and how trusts are working with "
            "communities to close the gaps."
        ),
    },
]


def space_guidelines(name: str) -> str:
    return (
        f"These guidelines apply in **{name}** in addition to the community guidelines.\n\n"
        "- Stay on the space's topic; start a new thread for a new question.\n"
        "- When you share a case study, remove anything that could identify a patient or a "
        "colleague who has not agreed to be named.\n"
        "- Cite your sources when you share data or research.\n"
        "- Moderators may move, lock or hide threads to keep this space safe and useful; they "
        "will tell you why.\n"
    )
