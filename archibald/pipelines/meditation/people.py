"""Who a topic names as its listener: person nouns (roles, family, ages, and words in -er/-or,
-ist, -ian), their singular and plural, and which of them are at work ("nurses" are;
"parents" are not)."""

from __future__ import annotations

from archibald.pipelines.meditation.words import ODD_NOUNS, SMALL, STATES, is_verb

__all__ = ["is_person", "is_worker", "plural", "singular"]


#: people a session may be for that no ending gives away (roles, family, ages); a word in
#: -er/-or, -ist or -ian is read as a person too (teacher, driver, therapist, musician)
_PEOPLE = frozenset("""nurse doctor medic paramedic midwife vet chef cook pilot soldier veteran
student pupil parent patient resident assistant attendant consultant accountant client migrant
immigrant mum mom dad son grandson grandma grandpa grandparent nanny carer caregiver coach adult kid
child teen teenager senior boy girl woman man person people friend couple partner wife husband
sibling colleague boss employee staff entrepreneur freelancer introvert extrovert empath
beginner newcomer expat mother-to-be mothers-to-be creative athlete""".split())
#: people named by what they do, in -er/-or: a word class of its own, since as many things
#: end so ("semester", "corridor", "printer"); another -er/-or word is a person only when it
#: is a verb's agent ("helper": help)
_AGENTS = frozenset("""teacher driver worker counsellor counselor operator runner writer painter
singer swimmer builder cleaner gardener farmer baker designer programmer developer manager
leader reader survivor editor director instructor actor visitor investor creator translator
supervisor educator narrator photographer lawyer officer carpenter plumber banker cashier waiter
waitress dancer player gamer rider climber hiker sailor trucker commuter traveller traveler
learner listener speaker trainer caretaker firefighter labourer laborer miner researcher
engineer volunteer founder owner employer jogger golfer footballer cricketer skier surfer diver
boxer smoker sufferer prisoner minister pastor preacher author tutor professor lecturer janitor
courier retiree widower toddler preschooler homeowner renter tenant landlord neighbour neighbor
performer musician composer producer presenter broadcaster reporter blogger streamer
influencer coder tester analyst consultant adviser advisor mentor organiser organizer planner
shopper customer passenger walker cyclist bather camper sleeper dreamer thinker overthinker
flyer flier worrier stranger foreigner member lover mother father brother sister daughter
grandmother grandfather officer warden ranger guard soldier sergeant captain commander porter usher
butcher grocer jeweller barber hairdresser auditor inspector conductor dispatcher""".split())
#: words in -er/-or that are not people ("winter", "dinner", "water")
_NOT_PEOPLE = frozenset("""after under over never ever other another water winter summer dinner
paper number order corner weather shower power hour flower finger shoulder border chapter
center centre letter matter danger anger fever cancer computer monitor mirror floor door
colour color error terror horror favour honour humour tumour labour rumour mayor minor major
meteor interior exterior elevator radiator calendar cellar collar dollar pillar mortar
""".split())
_IRREGULAR = {"man": "men", "woman": "women", "child": "children", "person": "people",
              "mother-to-be": "mothers-to-be", "staff": "staff", "people": "people"}


#: people named by who they are, not by their work ("beginners", "teenagers", "mums")
_NOT_WORK = frozenset("""student pupil parent patient resident client migrant immigrant mum mom
dad son grandson grandma grandpa grandparent kid child teen teenager senior boy girl woman man
person people friend couple partner wife husband sibling introvert extrovert empath beginner
newcomer expat mother-to-be creative mother father brother sister daughter grandmother
grandfather lover thinker overthinker worrier dreamer sleeper stranger foreigner member owner
adult""".split())


def is_worker(word: str) -> bool:
    """Whether a person noun names people by their work ("nurses", "bus drivers",
    "pianists"), not by who they are to others or their age ("mums", "teenagers")."""
    return is_person(word) and singular(word) not in _NOT_WORK and word not in _NOT_WORK


def singular(word: str) -> str:
    """``word`` in the singular, when it is a plural of a regular or common irregular kind
    ("nurses": "nurse", "women": "woman", "nannies": "nanny"); else ``word``."""
    w = word.lower()
    for one, many in _IRREGULAR.items():
        if w == many:
            return one
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("ches", "shes", "sses", "xes")):
        return w[:-2]
    if w.endswith("s") and not w.endswith("ss") and len(w) > 3:
        return w[:-1]
    return w


def plural(word: str) -> str:
    """``word`` in the plural ("nurse": "nurses", "nanny": "nannies"); a plural stays one."""
    w = word.lower()
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if singular(w) != w and is_person(w):
        return w
    if w.endswith("y") and w[-2:-1] not in tuple("aeiou"):
        return w[:-1] + "ies"
    if w.endswith(("s", "sh", "ch", "x")):
        return w + "es"
    return w + "s"


def is_person(word: str) -> bool:
    """Whether ``word`` (singular or plural) names a person a session may be for: a role, a
    family member or an age ("nurse", "parents", "teens"), or a word with a person's ending
    (-er/-or when a known one or a verb's agent: "teacher", "helpers", "counsellor"; -eer:
    "engineer"; -ist: "therapist"; -ian: "musician"), never a thing in -er/-or ("winter",
    "semester", "corridor") or a comparative ("longer")."""
    for w in dict.fromkeys((word.lower(), singular(word))):
        if w in _PEOPLE or w in _IRREGULAR:
            return True
        if len(w) < 5 or w in _NOT_PEOPLE or w in ODD_NOUNS or w in SMALL or w in STATES \
                or is_verb(w):
            continue
        if w in _AGENTS:
            return True
        stem = w[:-2]
        if w.endswith(("er", "or")) and any(is_verb(x) for x in (
                stem, stem + "e", stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] else "")):
            return True  # a verb's agent: "helper", "shopper", "organiser"
        if w.endswith("eer"):
            return True  # "engineer", "volunteer", "mountaineer"
        if w.endswith(("ist", "ian")) and len(w) >= 6:
            return True
    return False
