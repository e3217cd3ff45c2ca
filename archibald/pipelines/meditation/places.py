"""Places a topic names beyond the nine settings, and how a script rests in them.

"Waiting in a hospital waiting room", "a night bus home", "a quiet hour in a library": the
listener is somewhere, and the script's place is that place, not a candle-lit room or a
hillside. A place is recognised by its head word among common indoor, home, vehicle and
outdoor places (compact lists by kind, not a list of topics); its phrase is the topic's own
noun run ending on that word ("hospital waiting room", "night bus"), with the topic's
determiner ("a", "my" said as "your"). Each kind maps to the nearest of the settings (whose
picture is drawn) and brings imagery that belongs there: an indoor place's seat and murmur, a
bus's engine hum and passing lights, a beach's sand. Pure functions.
"""

from __future__ import annotations

from dataclasses import dataclass

from archibald.pipelines.meditation.people import is_person
from archibald.pipelines.meditation.words import is_adjective, is_noun, topic_words

__all__ = ["Place", "Imagery", "find_place", "IMAGERY"]


@dataclass(frozen=True)
class Imagery:
    """What a kind of place is like: its base setting (the nearest of the nine, whose picture
    is drawn), how a script puts the listener there (``{np}`` is the place's phrase), and what
    is seen, heard, felt, smelt, the warmth, similes and the light; ``keep`` whether the base
    setting's own marks still belong (a beach keeps the sea's waves; a library drops the
    room's candle)."""

    base: str
    where: str
    sight: tuple[str, ...] = ()
    sound: tuple[str, ...] = ()
    touch: tuple[str, ...] = ()
    scent: tuple[str, ...] = ()
    warmth: tuple[str, ...] = ()
    image: tuple[str, ...] = ()
    light: str = ""
    keep: tuple[str, ...] = ()


IMAGERY: dict[str, Imagery] = {
    "indoors": Imagery(
        "room", "a quiet spot in {np}",
        ("the soft light around you", "the ordinary things around you, still and quiet"),
        ("the low murmur of the people around you", "footsteps and voices, soft and far off"),
        ("the seat holding you", "your feet resting on the floor"),
        ("the cool, clean air", "the faint smell of paper and coffee"),
        ("the warmth of your own hands", "the warm air around you"),
        ("like a lamp left on in a quiet corner", "like dust settling in the light"),
        "the soft light overhead"),
    "home": Imagery(
        "room", "a quiet spot in {np}",
        ("the familiar things around you", "soft light across the floor"),
        ("the quiet hum of the house", "a clock ticking softly"),
        ("the chair or the floor holding you", "a warm cup in your hands"),
        ("fresh tea", "clean, familiar air"),
        ("the warmth of the house around you", "a warm cup in your hands"),
        ("like a kettle cooling slowly", "like light filling a house"),
        "the soft morning light"),
    "bed": Imagery(
        "room", "{np}, soft and quiet and still",
        ("the dim shapes of the room", "a thin line of light at the curtain"),
        ("the quiet of the house at rest", "the soft rustle of the covers"),
        ("the mattress holding you", "the pillow under your head"),
        ("clean sheets", "the soft, familiar air of the room"),
        ("the warmth of the covers", "your body warming the sheets"),
        ("like a blanket settling", "like a house going quiet for the night"),
        "the dim light at the curtain"),
    "school": Imagery(
        "room", "a quiet corner of {np}",
        ("rows of desks, still and empty", "light through the tall windows"),
        ("a bell, far off down the corridor", "voices fading along the hall"),
        ("the chair holding you", "the cool desk under your hands"),
        ("paper and pencil shavings", "the clean air of an empty room"),
        ("the sun through the window", "the warmth of your own hands"),
        ("like a classroom after the bell", "like a page waiting to be turned"),
        "the light through the tall windows"),
    "waiting": Imagery(
        "room", "a seat in {np}",
        ("the chairs along the wall", "the soft light overhead"),
        ("the quiet murmur of the room", "a door opening and closing, far off"),
        ("the seat holding you", "your feet resting on the floor"),
        ("the clean, cool air", "the faint smell of soap"),
        ("the warmth of your own hands", "the warm air around you"),
        ("like a clock ticking slowly", "like a lamp left on in a quiet corner"),
        "the soft light overhead"),
    "vehicle": Imagery(
        "train", "a seat {prep} {np}",
        ("the window and the lights passing by", "your reflection, soft in the glass"),
        ("the steady hum of the engine", "the soft murmur of the road"),
        ("the gentle sway as you move", "the seat holding you"),
        ("the warm air inside", "the cool air by the window"),
        ("the warmth of your coat around you", "the warm air inside"),
        ("like the road running on", "like the steady hum of an engine"),
        "the lights passing outside"),
    "shore": Imagery(
        "sea", "a quiet spot on {np}",
        ("the open water, blue and wide", "the long line of the shore"),
        ("small waves breaking on the sand", "a gull calling far away"),
        ("the warm sand under your hands", "the salt breeze on your face"),
        ("salt air", "sun-warmed sand"),
        ("the sun warming the sand", "the warm air over the water"),
        ("like waves coming in and going out", "like the slow rise and fall of the sea"),
        "the sun over the water", keep=("waves", "ocean", "tide", "sea", "shore")),
    "green": Imagery("forest", "a quiet spot in {np}",
                     keep=("forest", "woods", "trees", "clearing", "moss")),
    "open": Imagery("sky", "a quiet spot in {np}", keep=("clouds", "hillside", "sky")),
}

#: head words of places by kind; a word may say its preposition ("bus:on")
_KINDS: dict[str, str] = {
    "indoors": """hospital clinic ward waiting-room library cafe café coffee-shop office
        airport terminal station lobby supermarket shop store queue gym
        hotel hostel dorm dormitory church chapel temple mosque synagogue museum gallery studio
        restaurant canteen laboratory lab pharmacy salon cinema theatre theater stadium
        locker-room dressing-room changing-room hallway corridor elevator lift courtroom
        workplace warehouse factory bakery bookshop bookstore laundrette laundromat""",
    "bed": """bed bedroom bunk cot mattress""",
    "school": """school classroom lecture-hall campus college university schoolyard playground
        sixth-form""",
    "home": """home house kitchen living-room sitting-room dining-room bathroom bath sofa couch
        armchair
        attic nursery porch conservatory garage""",
    "vehicle": """bus:on coach:on tram:on plane:on airplane:on aeroplane:on subway:on metro:on
        car:in taxi:in cab:in van:in truck:in traffic-jam:in""",
    "shore": """beach:on seaside:at pier:on promenade:on boardwalk:on dunes:in""",
    "green": """park garden tent campsite backyard yard orchard allotment vineyard""",
    "open": """field:in desert:in prairie:on hilltop:on clifftop:on""",
}
_PLACES: dict[tuple[str, ...], tuple[str, str]] = {
    tuple(w.split(":")[0].split("-")): (kind, (w.split(":") + ["in"])[1])
    for kind, text in _KINDS.items() for w in text.split()}


@dataclass(frozen=True)
class Place:
    """A place the topic names: its phrase with a determiner ("a hospital waiting room"), its
    head word ("room"), its kind (a key of :data:`IMAGERY`) and the preposition it takes."""

    phrase: str
    head: str
    kind: str
    prep: str = "in"
    #: the topic's own words for it, with their preposition ("at school", "in bed"), or ""
    said: str = ""

    @property
    def where(self) -> str:
        """How a script puts the listener there ("a quiet spot in a library")."""
        return IMAGERY[self.kind].where.format(np=self.phrase, prep=self.prep)

    @property
    def words(self) -> tuple[str, ...]:
        """The place's own words ("hospital", "waiting", "room")."""
        return tuple(w for w in topic_words(self.phrase) if w not in _DETS.values())


_PREPS = frozenset("at in on to into from inside".split())
_DETS = {"a": "a", "an": "an", "the": "the", "my": "your", "your": "your", "our": "your",
         "this": "this"}


def find_place(topic: str, start: int = 0) -> tuple[int, Place] | None:
    """The first place the topic names from word ``start`` on (its word index and the place),
    or None."""
    words = topic_words(topic)
    for i in range(start, len(words)):
        found = _place_at(words, i)
        if found is None:
            person = _waiting_room(words, i)
            if person is not None:
                return i, person
            continue
        end, (kind, prep) = found
        while (more := _place_at(words, end)) is not None:  # "hospital waiting room"
            end, (kind, prep) = more
        if end < len(words) and is_person(words[end]):
            continue  # a person's name for their work ("a bus driver", "school teachers")
        j = i  # the nouns before the head are part of its name ("hospital", "night")
        while j > 0 and is_noun(words[j - 1]) and len(words[j - 1]) > 2:
            j -= 1
        k = j - 1  # its determiner, before any adjective ("a busy supermarket queue")
        while k >= 0 and is_adjective(words[k]):
            k -= 1
        det = _DETS.get(words[k], "") if k >= 0 else ""
        own = " ".join(words[k if det else k + 1:end])
        said = f"{words[k - (1 if det else 0)]} {own}" if k >= 0 and \
            words[k - (1 if det else 0)] in _PREPS else ""
        if not det:
            det = "your" if kind in ("home", "bed") else "the"
        phrase = " ".join([det, *words[j:end]])
        return i, Place(phrase, words[end - 1], kind, prep, said)
    return None


#: place words that are also adverbs ("riding a bus home"): a place only after one of these
_ADVERBS = {"home": ("at", "from", "my", "your", "our", "a", "the", "this", "new", "family")}
#: "at the dentist": a person's place is their waiting room
_AT = ("at", "to")
#: people one goes to see (with any -ist or -ian: dentist, optician, physician)
_VISITED = frozenset("""doctor gp vet surgeon hairdresser barber nurse midwife physio
chiropractor consultant counsellor counselor solicitor lawyer accountant""".split())
#: words that aim "at" a person, not a visit ("angry at the teacher", "snapping at the kids")
_AIMED = frozenset("""angry mad cross annoyed furious irritated shouting snapping yelling
laughing looking staring""".split())


def _waiting_room(words: list[str], i: int) -> Place | None:
    """"at the dentist", "to the vet's": the waiting room of the person the topic goes to (a
    person one visits: a doctor, a vet, any -ist or -ian), or None; never people a feeling is
    aimed at ("angry at the teacher", "snapping at my kids")."""
    w = words[i].removesuffix("'s")
    j = i - 1 if i and words[i - 1] == "the" else i  # "at the dentist", not "at my kids"
    visited = w in _VISITED or (w.endswith(("ist", "ian")) and is_person(w))
    if not visited or j == 0 or words[j - 1] not in _AT or \
            (j > 1 and words[j - 2] in _AIMED) or \
            (i + 1 < len(words) and is_noun(words[i + 1])):
        return None
    return Place(f"the {w}'s waiting room", "room", "waiting",
                 said=" ".join(words[j - 1:i + 1]))


def _place_at(words: list[str], i: int) -> tuple[int, tuple[str, str]] | None:
    """Where a place word starting at word ``i`` ends, and its kind and preposition."""
    if i < len(words) and words[i] in _ADVERBS and \
            (i == 0 or words[i - 1] not in _ADVERBS[words[i]]):
        return None
    for n in (2, 1):
        key = tuple(words[i:i + n])
        if len(key) == n and key in _PLACES:
            return i + n, _PLACES[key]
    return None
