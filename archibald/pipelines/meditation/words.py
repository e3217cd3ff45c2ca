"""Word classes for reading any topic: which of its words are things (nouns) and which say how
someone feels or what they do (adjectives, participles, verbs).

"Feeling stuck at work on a Monday" is about work and Monday; "stuck" is how the listener
feels, never a thing a sentence can hold ("the stuck", "your hard"). The classes are read from
word endings (-ed, -ous, -ful, -less, -ive, -ish, -able, -ly, -ing) with a compact list of
common emotion and state adjectives and of common verbs beside them, kept apart from the nouns
a topic names. They are heuristics for short English topics, not a grammar: a word they cannot
place is taken for a noun (what a topic mostly names). Pure functions.
"""

from __future__ import annotations

import itertools
import re

from archibald.script.lengths import without_length

__all__ = ["STATES", "STATE_NOUNS", "bare_feeling", "bare_noun", "SMALL", "TROUBLES", "HELD",
           "GIFTS", "is_adjective", "is_verb", "is_noun", "is_trouble", "ODD_NOUNS",
           "noun_phrases", "to_listener", "topic_words", "remedy",
           "opening_feeling", "governed", "clause", "said_to_listener", "doing", "lower_first",
           "core_topic", "gift_phrase", "wanted_states", "indefinite", "capital", "BEING",
           "WANTED", "with_acronyms", "imperative", "question", "CLOCK", "helped", "BODY",
           "YOUNG", "SENSING"]

#: common emotion and state adjectives (and participles) a topic says of its listener
STATES = frozenset("""afraid alone angry annoyed anxious ashamed awake awkward bad bitter bored
brave broken burnt busy calmer certain cold confused cranky cross curious dark drained
edgy empty exhausted fearful fine fragile frazzled free frustrated full glad grateful grumpy guilty
happy hard heavy helpless hopeful hopeless hot hungry hurt impatient insecure irritable jealous
jittery jumpy late lonely lost low mad miserable moody nervous numb old overwhelmed panicky
proud ready restless sad scared shaky shy sick sleepy sore stressed strong stuck sure tense
tired uneasy unhappy unsettled unsure upset weak weary wired worn worried wrong young
furious irritated disappointed resentful embarrassed devastated livid tearful envious
confident fresh present stable steady gentle kind homesick seasick carsick lovesick toxic
heartbroken sleepless discouraged stiff achy tight itchy puffy swollen
angsty antsy blue cloudy drowsy foggy frosty gloomy misty noisy rainy snowy stormy sunny windy
big small huge tiny long short new old early difficult easy simple hectic heavy busy messy
crowded empty loud quiet slow fast bright grey gray warm cool cold hot wet dry dull sharp
free open closed whole half real true bad good great better best worse worst next last first
final""".split()) - {"final"}
#: common verbs (their stems: -s, -es, -ed and -d forms are read from them)
_VERBS = frozenset("""feel seem stay keep get got make made take took go went come came pass
try want need let cope handle manage find lose begin began finish sit stand lie lay slept wake
woke relax breathe soothe forgive accept imagine settle quit fail hate overthink think know say
said tell told hear heard see saw seen be am is are was were been has have had do does did done
can could will would shall should may might must become became grow grew give gave live die
died cried shake shook freeze froze broke relax imagine renew energise energize heal""".split())
#: nouns whose endings look like another class's
ODD_NOUNS = frozenset("""bed shed seed need speed feed reed weed sled hundred creed breed steed
olive archive detective motive executive objective native relative hive drive dive
handful mouthful spoonful armful cupful family body city library journey anxiety therapy
story country party baby study diary lady energy company memory history money holiday
holidays monday tuesday wednesday thursday friday saturday sunday birthday day way play
worry reply supply ivy jury army entry belly lily jelly july italy assembly rally
bully ally vegetable timetable sympathy poetry ceremony melody harmony agony""".split())
#: small words: articles, prepositions, pronouns, conjunctions
SMALL = frozenset("""a an the of for to in on at by with after before during from into onto
over under about and or but nor so yet as than then when while where who why how what which
whose whom if because though although until till since up down off out away back through
beside near across toward towards along around behind between beyond inside outside within
without against among upon via my your our their his her its this that these those some any
all every each both either neither it me you we they i he she us them him one everything
something nothing anything everyone someone anyone nobody no not very just really too also
even still again ever never always here there now today tonight tomorrow yesterday abroad
overseas ahead together anymore""".split())
_ADJ_ENDINGS = ("ous", "ful", "less", "ive", "ish", "able", "ible", "ed")
#: adjectives in -ic that are not nouns in -ic ("chaotic", "nostalgic"; not "attic", "logic")
_IC_ENDINGS = ("tic", "gic", "ric")
#: nouns that make an adjective in -y ("sandy", "stormy", "sleepy"): only these, as many nouns
#: end in -y too ("party", "army", "daddy")
_Y_ROOTS = frozenset("""sand sun rain storm wind cloud snow fog salt mud dust sleep moss grass
rock noise ice frost mist gloom smoke dirt stick mess bump jump itch twitch mood gust breeze
chill shade fluff grit haze heat muck slush""".split())
_SWAP = {"i": "you", "me": "you", "my": "your", "mine": "yours", "myself": "yourself",
         "i'm": "you're", "i've": "you've", "i'll": "you'll", "i'd": "you'd", "am": "are",
         "we": "you", "us": "you", "our": "your", "ours": "yours", "ourselves": "yourselves",
         "we're": "you're"}
_I = frozenset({"i", "i'm", "i've", "i'll", "i'd"})
#: a time of day said as one word ("3am", "8:30pm")
CLOCK = re.compile(r"\d{1,2}(?::\d\d)?[ap]m")
#: a word: a time of day, or a letter (any alphabet's: "méditation"), then more
_WORD = re.compile(rf"{CLOCK.pattern}\b|[^\W\d_][\w'-]*")


def topic_words(text: str) -> list[str]:
    """The words of ``text``, lower case (apostrophes and hyphens kept inside a word)."""
    return [w.strip("'-") for w in _WORD.findall(text.lower())]


def is_verb(word: str) -> bool:
    """A common verb in one of its forms ("feels", "stays", "passed", "waiting"), or a word
    in -ing that is not a noun in -ing ("morning", "meeting")."""
    w = word.lower()
    if w in ODD_NOUNS:
        return False
    if w in _VERBS:
        return True
    for end in ("s", "es", "ed", "d", "ing"):
        stem = w[:-len(end)]
        if w.endswith(end) and (stem in _VERBS or stem + "e" in _VERBS or
                                (len(stem) > 2 and stem[-1] == stem[-2] and stem[:-1] in _VERBS)):
            return True
    if w.endswith("ies") and w[:-3] + "y" in _VERBS:
        return True
    return False


def is_adjective(word: str) -> bool:
    """An emotion or state adjective ("nervous", "overwhelmed", "hard"), or a word whose ending
    makes it one (-ous, -ful, -less, -ive, -ish, -able, -ible, a participle in -ed), or an
    adverb in -ly ("lonely" too)."""
    w = word.lower()
    if w in STATES:
        return True
    if w in ODD_NOUNS or len(w) < 4:
        return False
    if w.endswith("ly"):
        return True
    if w.endswith("y") and any(root in _Y_ROOTS for root in (w[:-1], w[:-2], w[:-1] + "e",
                                                              w[:-2] + "e")):
        return True  # sandy, sunny, icy, noisy
    if w.endswith(_IC_ENDINGS) and len(w) >= 7:
        return True  # chaotic, nostalgic, euphoric
    if any(w.endswith(s) and len(w) > len(s) + 2 for s in STATES if len(s) >= 5):
        return True  # heartbroken, overtired
    return any(w.endswith(end) and len(w) > len(end) + 2 for end in _ADJ_ENDINGS)


_ING_NOUNS = frozenset({"morning", "evening", "meeting", "building", "spring",
                        "ceiling", "wedding", "something", "nothing", "darling", "painting",
                        "ring", "king", "thing", "sibling", "pudding", "gathering", "clothing",
                        "offering", "beginning", "mourning", "parenting", "lightning",
                        "crossing", "landing", "ending", "coding", "camping", "swimming",
                        "cycling", "training", "nursing", "housing", "shopping", "writing"})


def is_noun(word: str) -> bool:
    """A word that names a thing, a person, a place, a feeling or a time: not small, not an
    adjective, not a verb, not a verb in -ing (unless a noun in -ing: "morning")."""
    w = word.lower()
    if len(w) < 3 or w in SMALL or any(c.isdigit() for c in w):
        return False
    if _CONTRACTED.search(w) or w == "cannot":  # "can't", "I'm", "won't": never a thing
        return False
    if w.endswith("ing"):
        return w in _ING_NOUNS
    if w in ODD_NOUNS:
        return True
    return not is_adjective(w) and not is_verb(w)


def noun_phrases(text: str) -> list[str]:
    """The topic's noun phrases, in order: runs of adjectives and nouns that end on a noun
    ("big job interview", "hospital waiting room", "exams and deadlines"), lower case. A run
    joined by "and" stays one phrase when both sides are nouns."""
    words = topic_words(text)
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        while run and not is_noun(run[-1]) and not _compound(run) and not _bodily(run):
            run.pop()  # a phrase ends on its noun
        while run and run[0] == "and":
            run.pop(0)
        if run and any(is_noun(w) or _compound(run[i:]) or _bodily(run[:i + 1])
                       for i, w in enumerate(run)):
            out.append(" ".join(run))
        run.clear()
    for i, w in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        before = words[i - 1] if i else ""
        if _CONTRACTED.search(before) or before == "cannot":
            flush()  # a verb follows "can't": "can't stop overthinking" names no thing
        elif w == "and" and run and is_noun(run[-1]) and nxt and is_noun(nxt):
            run.append(w)
        elif _bodily([*run, w]):  # "a sore back", "lower back pain": "back" is the body's
            run.append(w)
        elif is_noun(w) or (is_adjective(w) and w not in SMALL) or \
                (w.endswith("ing") and nxt and (is_noun(nxt) or nxt in BODY) and (
                    f"{w} {nxt}" in _COMPOUNDS or before in _DETS or bool(run)
                    or nxt in BODY and w in SENSING)):
            # an -ing word after a determiner or an adjective names a kind of thing
            # ("my driving test", "a big swimming gala"), not what someone does; before a
            # part of the body, how it is ("aching feet")
            run.append(w)
        else:
            flush()
    flush()
    return out


_DETS = frozenset("a an the my your our his her their this that".split())
#: a word with a verb or "not" contracted into it ("can't", "I'm", "you've", "won't")
_CONTRACTED = re.compile(r"n't$|'(?:m|re|ve|ll|d)$")
#: words before a noun phrase that say where, when or about what it is: the phrase is then
#: what the topic is about; after any other word (a verb, "of") it is that word's object
_ABOUT = frozenset("""in at on during through with about for before after from into near by
under over beside around across and toward towards inside outside without
between among amid behind below above""".split())


def governed(topic: str, phrase: str) -> bool:
    """Whether a noun phrase of ``topic`` is the object of a verb or an idiom before it
    ("Missing my dog", "Bored out of my mind"), so the phrase alone would say something else
    than the topic ("Stress Relief for Your Dog"); not when the topic starts with it or a
    preposition of place, time or matter comes before it ("in a new city")."""
    words, said = topic_words(topic), phrase.split()
    for i in range(len(words) - len(said) + 1):
        if words[i:i + len(said)] != said:
            continue
        j = i
        while j and words[j - 1] in _DETS:
            j -= 1
        return bool(j) and words[j - 1] not in _ABOUT
    return False


def shouted(text: str) -> bool:
    """Whether ``text`` is typed all in capitals (more than three letters, none lower case)."""
    letters = [c for c in text if c.isalpha()]
    return len(letters) > 3 and all(c.isupper() for c in letters)


def said_to_listener(topic: str) -> str:
    """The topic as one line said to the listener ("Missing my dog." -> "Missing your dog")."""
    said = re.sub(r"\s+", " ", _SYMBOLS.sub("", topic)).strip().rstrip(".!?,;:")
    if shouted(said):  # a topic said in capitals
        said = re.sub(r"\bi\b", "I", said.lower())
        said = said[:1].upper() + said[1:]
    return to_listener(said)


#: what is not said aloud nor written in a title: emoji, pictographs and other symbols
_SYMBOLS = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]")


def doing(topic: str) -> str:
    """The topic as what the listener is doing, when it starts with a verb in -ing that is
    no noun ("Waiting for test results", "Caring for my mum", "Quitting smoking"): said to
    them, "waiting for test results"; else ""."""
    words = topic_words(topic)
    first = words[0] if words else ""
    if first not in _GERUNDS and not (first.endswith("ing") and is_verb(first)
                                      and not is_noun(first)):
        return ""
    named = list(itertools.takewhile(lambda w: w not in SMALL, words))
    if first not in _HELPED and len(named) > 2 and named[1] not in TROUBLES and \
            is_trouble(" ".join(named)):  # "Waiting room nerves at the vet", "Driving test
        return ""  # nerves": a feeling named (but "Releasing tension" is done)
    return lower_first(said_to_listener(topic))


#: forms of the verbs that say how something is ("my dog is sick", "our house feels empty")
_BE = frozenset("is are was were has have had feels feel seems keeps won't can't".split())

#: verbs in -ing a topic may start with that the verb list does not hold
_GERUNDS = frozenset("""quitting starting missing losing leaving moving caring training
grieving healing recovering overthinking waiting sitting lying feeling trying learning
letting releasing forgiving accepting finding building
preparing returning coping dealing living parenting studying working travelling traveling
commuting flying driving walking running writing reading looking unwinding
dreading""".split())


def clause(topic: str) -> str:
    """The topic as what the listener says of themselves ("I can't sleep", "Can't stop
    overthinking", "I'm so tired"), said to them: "you can't sleep", "you can't stop
    overthinking", "you're so tired"; else ""."""
    words = topic_words(topic)
    if not words:
        return ""
    said = said_to_listener(topic)
    if words[0] in ("i", "i'm", "i've", "i'll", "i'd"):
        return lower_first(said)  # "I can't sleep": "you can't sleep"
    if words[0].endswith("n't") or words[0] == "cannot":
        return "you " + lower_first(said)
    phrases = noun_phrases(topic)
    if words[0] in ("my", "our") and phrases and words[1:1 + len(phrases[0].split())] == \
            phrases[0].split():
        after = words[1 + len(phrases[0].split()):][:1]
        if after and (is_verb(after[0]) or after[0] in _BE):  # "My cat died": "your cat died"
            return lower_first(said)
    return ""


#: words that keep their capital at the start of a sentence's middle ("for Sunday scaries")
_PROPER = frozenset("""monday tuesday wednesday thursday friday saturday sunday january february
april june july august september october november december christmas easter
ramadan diwali hanukkah thanksgiving halloween""".split())


def lower_first(text: str) -> str:
    """``text`` to go inside a sentence: its first letter lower case, unless its first word
    is a name, a day, a month or a holiday ("Sunday scaries") or an acronym ("ADHD")."""
    first = text.split(" ", 1)[0]
    if first.lower() in _PROPER or first[1:].lower() != first[1:]:
        return text
    return text[:1].lower() + text[1:]
#: -ing words that make a noun with the word after them
_COMPOUNDS = frozenset({"waiting room", "living room", "dining room", "sitting room",
                        "changing room", "parking lot", "parking garage", "swimming pool",
                        "washing machine", "shopping centre", "shopping center",
                        "shopping mall", "training ground", "boarding gate",
                        "boarding school", "dressing room", "filling station"})


def _compound(run: list[str]) -> bool:
    return len(run) >= 2 and " ".join(run[-2:]) in _COMPOUNDS


def _bodily(run: list[str]) -> bool:
    """Whether ``run`` ends on a part of the body said with how it is ("sore back")."""
    return len(run) >= 2 and run[-1] in BODY and run[-1] in SMALL and (
        run[-2] in ("lower", "upper") or run[-2] in SENSING or
        is_adjective(run[-2]) and run[-2] not in SMALL)


def to_listener(text: str) -> str:
    """``text`` as said to the listener: the topic's "my grandmother" is "your grandmother",
    "I'm" is "you're" (the first person becomes the second)."""
    def swap(m: re.Match[str]) -> str:
        new = _SWAP.get(m[0].lower())
        if new is None:
            return m[0]
        upper = m[0][:1].isupper() and (m[0].lower() not in _I or m.start() == 0)
        return new[:1].upper() + new[1:] if upper else new
    said = re.sub(r"\b[A-Za-z]+(?:'[a-z]+)?\b", swap, text)
    return re.sub(r"\b([Yy]ou) was(n't)?\b", r"\1 were\2", said)  # "I was": "you were"


#: feelings a session eases (a topic's "regret", "stage fright", "sports nerves"); a noun in
#: -ness, -iety or -phobia is one too ("sadness", "anxiety", "claustrophobia")
TROUBLES = frozenset("""regret guilt shame anger rage resentment bitterness jealousy envy blame
grief sorrow heartbreak heartache loss mourning worry worries fear fears dread panic stress
tension nerves fright overwhelm overthinking burnout insomnia frustration irritation
impatience exhaustion fatigue doubt self-doubt block pain ache aches cravings jitters""".split())
#: feelings held on to, which a session lets go of rather than eases
HELD = frozenset("regret guilt shame anger rage resentment bitterness jealousy envy blame".split())
#: feelings a session brings ("gratitude", "courage"): found, not eased
GIFTS = frozenset("""calm peace courage confidence focus gratitude clarity energy kindness
comfort joy hope strength patience balance stillness self-compassion compassion motivation
inspiration resilience forgiveness serenity contentment happiness self-love self-worth""".split())
#: states a listener comes to a session to feel ("Happy", "Grounded"): a topic that is one
#: of them alone is "Feeling happy", not "When You Feel Happy: Stress Relief"
WANTED = frozenset("""relaxed grounded happy peaceful quiet content rested centred centered
focused confident hopeful present joyful grateful balanced refreshed energised energized
motivated safe serene loved calmer lighter""".split())
#: states wanted only beside another in a list ("Calm, clear and focused", "Strong and
#: steady"): alone, "Calm" is the benefit itself and "Clear" or "Strong" too little to frame
_ALSO_WANTED = frozenset("""calm clear strong steady ready free brave whole light still open
kind patient gentle fresh alive bold soft warm settled""".split())
_JOINS = frozenset(["and", "&", "yet", "but"])
#: words that set a wanted state somewhere ("Calm and confident before my exam")
_WHERE = frozenset("before after at in during for through while when on with around".split())
#: states the listener is in rather than feels ("When You're Awake at 3am", not "Feel Awake")
BEING = frozenset("awake up sick ill pregnant".split())
#: parts of the body a state is said of ("a sore back", "tired eyes", "aching feet")
BODY = frozenset("""back neck shoulder shoulders eye eyes foot feet knee knees hip hips hand
hands wrist wrists joints leg legs arm arms throat jaw chest stomach head muscles skin spine
ankle ankles elbow elbows toes fingers""".split())
#: how a part of the body feels, in -ing ("an aching back"; not "getting back", "holding
#: hands": what someone does)
SENSING = frozenset("""aching throbbing burning stinging pounding hurting itching tingling
cramping racing churning spinning""".split())
#: parts of the body and mind a state is said of ("restless legs", "anxious thoughts")
_SEATS = frozenset("""thoughts mind heart body nerves""".split()) | BODY
_ONE_SEAT = frozenset("""mind heart body back neck shoulder eye foot knee hip hand wrist leg
arm throat jaw chest stomach head spine ankle elbow""".split())


#: the noun for a state a topic says of its listener ("nervous before my driving test":
#: nerves; "scared of the dark": fear)
STATE_NOUNS = {"nervous": "nerves", "jittery": "nerves", "anxious": "anxiety",
               "stressed": "stress", "worried": "worry", "scared": "fear", "afraid": "fear",
               "panicky": "panic", "tense": "tension", "overwhelmed": "overwhelm",
               "dreading": "dread", "fearful": "fear", "uneasy": "nerves",
               "frightened": "fear", "terrified": "fear", "lonely": "loneliness",
               "sad": "sadness", "angry": "anger", "jealous": "jealousy", "guilty": "guilt",
               "ashamed": "shame", "restless": "restlessness",
               # a state said in two words, and its noun
               "burnt out": "burnout", "burned out": "burnout", "stressed out": "stress",
               "freaked out": "panic", "fed up": "frustration", "worn out": "weariness",
               "wound up": "tension", "run down": "weariness"}


#: the noun of a state with none in STATE_NOUNS, for a topic that is only that state
#: ("Exhausted": a session easing exhaustion)
_BARE_NOUNS = {"exhausted": "exhaustion", "drained": "exhaustion", "tired": "tiredness",
               "weary": "weariness", "sleepless": "sleeplessness", "heartbroken": "heartbreak",
               "homesick": "homesickness", "lovesick": "heartache", "bored": "boredom",
               "frustrated": "frustration", "irritable": "irritability", "cranky": "irritability",
               "grumpy": "grumpiness", "insecure": "insecurity", "hopeless": "hopelessness",
               "helpless": "helplessness", "confused": "confusion", "numb": "numbness",
               "miserable": "misery", "unhappy": "unhappiness", "impatient": "impatience",
               "discouraged": "discouragement", "moody": "moodiness", "gloomy": "gloom",
               "empty": "emptiness", "edgy": "edginess", "jumpy": "jumpiness",
               "frazzled": "frazzled nerves", "hurt": "hurt", "upset": "upset"}


def bare_noun(state: str) -> str:
    """The noun of a state ``bare_feeling`` found ("anxiety", "burnout", "exhaustion"), or
    "" for a word that is no feeling of a person ("quiet")."""
    return STATE_NOUNS.get(state) or STATE_NOUNS.get(state.split()[0]) or \
        _BARE_NOUNS.get(state.split()[0], "")


#: words that only say when a feeling is felt ("lonely tonight", "anxious all the time")
_WHEN = frozenset("""tonight today lately again now recently sometimes this at all the time
every night morning evening week day days weekend afternoon these""".split())


def bare_feeling(words: list[str]) -> str:
    """The state a topic says of its listener when that is all it says, perhaps with when
    ("Exhausted", "lonely tonight", "anxious all the time", "burnt out"); else ""."""
    two = " ".join(words[:2])
    if not words or not (words[0] in STATES or words[0] in STATE_NOUNS or two in STATE_NOUNS):
        return ""
    state = words[:2] if two in STATE_NOUNS or (
        len(words) > 1 and words[1] in ("out", "up", "down")) else words[:1]
    return " ".join(state) if all(w in _WHEN or CLOCK.fullmatch(w)
                                  for w in words[len(state):]) else ""


def is_trouble(phrase: str) -> bool:
    """Whether a noun phrase names a feeling a session eases ("regret", "stage fright",
    "anxious thoughts"): its head is a trouble, or a state said of the body or mind."""
    words = phrase.lower().split()
    if not words:
        return False
    head = words[-1]
    if head in TROUBLES or head.endswith(("ness", "iety", "phobia")) and head not in GIFTS:
        return True
    said = [w for w in words[:-1] if w not in ("a", "an", "the", "my", "your", "our")]
    return head in _SEATS and any(is_adjective(w) or w.endswith("ing") and (
        w in SENSING or head not in BODY) for w in said) and not \
        any(w in WANTED or w in _ALSO_WANTED for w in said)  # "a quiet mind" is no trouble


_GRIEFS = frozenset("grief sorrow heartbreak heartache loss mourning".split())


def remedy(phrase: str) -> str:
    """What a session does with a feeling a noun phrase names, in a title's words: a feeling
    held is let go of ("Letting Go of"), grief comforted ("Finding Comfort in"), another
    trouble eased ("Easing"), a gift found ("Finding"); "" for a phrase that is no feeling."""
    words = phrase.lower().split()
    head = words[-1] if words else ""
    if head in HELD:
        return "Letting Go of"
    if head in _GRIEFS:
        return "Finding Comfort in"
    if is_trouble(phrase):
        return "Easing"
    said = [w for w in words[:-1] if w not in ("a", "an", "the", "my", "your", "our")]
    if head in _SEATS and said and all(w in WANTED or w in _ALSO_WANTED for w in said):
        return "Finding"  # a state of mind to come to: "Finding a Peaceful Heart"
    return "Finding" if len(words) == 1 and head in GIFTS else ""


def indefinite(phrase: str) -> str:
    """``phrase`` after "a" or "an", as its first sound asks ("an anxious mind")."""
    return ("an " if re.match(r"[aeiou]", phrase, re.IGNORECASE) else "a ") + phrase


def opening_feeling(topic: str) -> tuple[str, str]:
    """The feeling a topic starts with and what a session does with it ("Sports nerves before
    a final": ("Easing", "sports nerves")), or ("", "")."""
    words = topic_words(topic)
    words = words[1:] if words[:1] in (["a"], ["an"]) else words  # "A heavy heart"
    phrases = noun_phrases(topic)
    if not words or not phrases or phrases[0].split()[0] != words[0]:
        return "", ""
    verb = remedy(phrases[0])
    if verb and phrases[0].split()[-1] in _ONE_SEAT:  # "Easing a Busy Mind"
        return verb, indefinite(phrases[0])
    return (verb, phrases[0]) if verb else ("", "")


#: words that only make the state after them stronger ("really anxious", "still awake"); not a
#: "too" or "so" the rest hangs on ("Too tired to sleep", "So tired I can't sleep")
_INTENSE = re.compile(r"^\s*(?:(?:so|too)(?!\s+[\w'-]+(?:\s+and\s+[\w'-]+)?,?\s+(?:to\s|that\s|"
                      r"i\b|i'm|i've|my\s))|very|really|super|totally|completely|extremely|"
                      r"utterly|wide|quite|pretty|a bit|a little|kind of|kinda|still)"
                      r"\s+(?=([^\W\d_][\w'-]*))", re.IGNORECASE)


#: quotes and brackets a topic may be typed with ('"Just relax"', "Calm (for exams)"): the
#: words inside are the topic, the marks are neither said nor titled
_UNQUOTED = re.compile(r"[\"“”«»()\[\]{}]|(?<!\w)'|'(?!\w)")


def core_topic(topic: str) -> str:
    """``topic`` without the length it names ("10 minutes of calm before my 9am": "calm
    before my 9am") or a word that only strengthens the state after it ("Really anxious
    tonight": "anxious tonight"); the topic itself when nothing else would be left."""
    rest = _with_young(without_length(_UNQUOTED.sub(" ", topic)).strip())
    if not shouted(rest):  # a word in capitals for emphasis is said plainly ("calm down NOW")
        rest = re.sub(r"\b[A-Z]{2,}\b", lambda m: m[0].lower() if _emphatic(m[0]) else m[0], rest)
    m = _INTENSE.match(rest)
    if m and (m[1].lower() in STATES or m[1].lower() in STATE_NOUNS):
        rest = rest[m.end():]
    said = topic_words(rest)
    n = wanted_lead(said)
    if n and (all(w in _WHEN for w in said[n:]) or said[n] in _WHERE):
        # "Happy": "Feeling happy", to be felt; "Calm and confident before my exam" too
        rest = "Feeling " + lower_first(rest.strip())
    return rest if topic_words(rest) else topic


#: people too young to listen to a session: the one who looks after them is its listener
YOUNG = frozenset("baby babies toddler toddlers newborn newborns infant infants".split())
_FOR_YOUNG = re.compile(r"\b([A-Za-z'-]+)\s+for\s+((?:(?:a|an|the|my|our|your)\s+)?"
                        r"(?:[A-Za-z'-]+\s+){0,2}(?:" + "|".join(YOUNG) + r"))\b", re.I)


def _with_young(topic: str) -> str:
    """``topic`` with a baby or a toddler it names "for" said "with" them, unless a verb has
    them as its object ("Bedtime for a restless toddler": "Bedtime with a restless toddler";
    "Caring for a newborn", "A lullaby for my baby" stay): the listener is whoever is with
    them."""
    return _FOR_YOUNG.sub(lambda m: m[0] if m[1].lower().endswith(("ing", "ed")) or
                          is_verb(m[1]) or m[1].lower() in _MADE_FOR
                          else f"{m[1]} with {m[2]}", topic)


#: what is "for" a baby as its own ("a lullaby for my baby") or a verb's ("care for"): kept
_MADE_FOR = frozenset("""care cares look looks shop wait pray lullaby lullabies song songs story
stories music""".split())


def wanted_lead(words: list[str]) -> int:
    """How many of ``words`` open with the state (or list of states) a listener comes to
    feel: "happy" (1), "calm, clear and focused" (4); 0 when they open with none. A list may
    hold a word (:data:`_ALSO_WANTED`) that alone says too little."""
    n = states = 0
    while n < len(words) and (words[n] in WANTED or words[n] in _ALSO_WANTED
                              or (states and words[n] in _JOINS)):
        states += words[n] not in _JOINS
        n += 1
    while n and words[n - 1] in _JOINS:  # "calm and" ends on a join: not part of the list
        n -= 1
    if not states or (states == 1 and words[0] not in WANTED):
        return 0
    return n


def wanted_states(topic: str) -> list[str]:
    """The states a topic that opens "Feeling" comes to feel ("Feeling calm, clear and focused
    before work": calm, clear, focused); [] for any other topic."""
    said = topic_words(topic)
    n = wanted_lead(said[1:]) if said[:1] == ["feeling"] else 0
    return [w for w in said[1:1 + n] if w not in _JOINS]



def gift_phrase(topic: str) -> str:
    """The noun phrase a topic opens with when it names a feeling the session brings, said
    with a word of its own ("Morning gratitude", "Deep focus at work", "Inner peace"): the
    topic's own name for the benefit, so a title never says it twice ("Gratitude for Morning
    Gratitude"); else ""."""
    words, phrases = topic_words(topic), noun_phrases(topic)
    if not phrases or words[:1] in (["a"], ["an"], ["the"], ["my"]):
        return ""
    said = phrases[0].split()
    if len(said) < 2 or words[:len(said)] != said or said[-1] not in GIFTS | {"sleep", "rest"}:
        return ""
    return phrases[0]


def capital(word: str) -> str:
    """A title's capital on each part of a word ("self-compassion": "Self-Compassion")."""
    return "-".join(p[:1].upper() + p[1:] for p in word.split("-"))


def _emphatic(word: str) -> bool:
    """Whether a word in capitals is a common one said loud ("NOW", "PLEASE"), no acronym."""
    return word.lower() in SMALL | _VERBS | STATES - {"sad"} | {"please", "help", "asap"}


def with_acronyms(text: str, topic: str) -> str:
    """``text`` with each acronym as ``topic`` writes it ("Before Your Mri": "Before Your
    MRI"); a topic typed all in capitals has none (its words are said in a voice's case)."""
    if shouted(topic):
        return text
    caps = {w.lower(): w for w in re.findall(r"\b[A-Z][A-Z0-9]+\b", topic) if not _emphatic(w)}
    if not caps:
        return text
    return re.sub(r"\b\w+\b", lambda m: caps.get(m[0].lower(), m[0]), text)


#: verbs a topic may start with as something to do, that no noun starts the same way
#: ("Breathe through it", "Stop overthinking", "Slow down"; not "Sleep for teenagers")
_NAMING = frozenset("slow calm quiet ease trust start feel settle take go come get".split())
_DO = _NAMING | frozenset("""stop quit let be breathe relax unwind make find try keep give forgive
accept notice allow drop soften learn leave choose begin hit cut shut put set read write
sit""".split())


def imperative(topic: str) -> str:
    """The topic as something the listener is told to do ("Breathe through it", "Just
    relax", "Stop overthinking"), said as what the session helps with: "breathe through it",
    "relax", "stop overthinking"; else ""."""
    said = re.sub(r"^(?:just|please|simply)\s+|,?\s+please$", "",
                  core_topic(topic).strip().rstrip(".!"), flags=re.IGNORECASE)
    words = topic_words(said)
    if not words or words[0] not in _DO or "?" in said or re.match(r"\w+\s*[,;]", said):
        return ""  # "Calm, clear and focused" is a list of states, not an order
    if len(words) > 1 and words[1] in _ABOUT - {"through", "down", "off", "with", "into"} \
            and words[0] in ("calm", "ease", "quiet", "feel", "trust", "drop"):
        return ""  # "Calm before an exam", "Ease at work": a thing, not an order
    if len(words) == 1 and words[0] in ("calm", "ease", "quiet", "trust"):
        return ""  # "Calm" alone is found, not done
    phrases = noun_phrases(said)
    if phrases and len(phrases[0].split()) > 1 and phrases[0].split()[0] == words[0] and \
            words[0] in _NAMING and words[1] not in ("yourself", "myself", "ourselves"):
        return ""  # "Slow mornings", "Calm seas", "Trust issues": a thing, not an order
    return lower_first(to_listener(said))


#: how a question starts ("How do I ...", "What if ...", "Why can't I ...")
_ASKS = re.compile(r"^(?:how|what|why|when|where|who|which|can|could|should|will|would|is|am|are|"
                   r"do|does|did|shall|(?:was|were) (?:i|we|it|you))(?![\w'’])", re.IGNORECASE)


def question(topic: str) -> str:
    """The topic when it is a question the listener asks ("What if I fail?", "How do I stop
    worrying"), as they ask it, with its question mark; else ""."""
    said = re.sub(r"\s+", " ", _UNQUOTED.sub(" ", topic)).strip().rstrip(".!")
    if not said or not (said.endswith("?") or _ASKS.match(said)):
        return ""
    return said[:1].upper() + said[1:].rstrip("?") + "?"


#: what a listener does that a session itself helps with, and the verb that says so
_HELPED = {"letting": "let", "finding": "find", "forgiving": "forgive", "healing": "heal",
           "accepting": "accept", "releasing": "release", "building": "build"}


def helped(act: str) -> str:
    """A doing (:func:`doing`) that the session itself helps with, as that help: "letting go
    of anger": "let go of anger", "feeling grounded": "feel grounded"; "" for one the listener
    is in the middle of ("waiting for test results", "quitting smoking")."""
    verb, _, rest = act.partition(" ")
    if not rest:
        return ""
    if verb == "feeling" and wanted_lead(topic_words(rest)):
        return f"feel {rest}"
    return f"{_HELPED[verb]} {rest}" if verb in _HELPED else ""
