"""Organizations: a curated table (data, not code) plus the names pages give publishers.

The table ships as kgraph/data/organizations.csv (name, kind, domains, aliases, match_text);
users add their own with `kgraph build --orgs FILE`, rows of the same columns.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from kgraph.errors import InputError
from kgraph.extract.people import slug
from kgraph.model import Organization

__all__ = ["OrgTable", "load_org_table", "orgs_in_text", "names_regex", "names_at_word_starts", "joined_institutions"]


@dataclass
class OrgTable:
    """Look-ups from domain, name or alias to one Organization."""

    by_key: dict[str, Organization] = field(default_factory=dict)
    by_alias: dict[str, str] = field(default_factory=dict)  # lower-case alias -> key
    by_domain: dict[str, str] = field(default_factory=dict)  # domain (and path prefix) -> key
    _text_names: dict[str, str] = field(default_factory=dict)
    _home_aliases: set[str] = field(default_factory=set)  # 'Senate' for 'US Senate': see is_home_alias
    _finder: re.Pattern | None = None  # names_regex of the text names
    _host_owner: dict[str, str | None] = field(default_factory=dict)  # find_url's answers that ignore the path
    _prefixes: dict[str, list[tuple[str, str]]] | None = None
    _names: dict[str, tuple[str, ...]] | None = None
    _camel: dict[str, str] | None = None  # case-folded one-word camel-case text name -> key

    def add(
        self, name: str, kind: str = "", domains: list[str] = (), aliases: list[str] = (), match_text: bool = True
    ) -> None:
        key = slug(name)
        url = f"https://{domains[0]}" if domains else ""
        self.by_key[key] = Organization(name=name, key=key, url=url, kind=kind)
        given = [name, *aliases]
        for alias in _with_variants(given):
            if alias not in given and self.by_alias.get(alias.lower(), key) != key:
                continue  # a variant never takes a name another row gives
            self.by_alias[alias.lower()] = key
            if match_text and len(alias) > 1:
                self._text_names[alias] = key
                if is_home_alias(alias, name):
                    self._home_aliases.add(alias)
        for d in domains:
            self.by_domain[d.lower()] = key
        self._finder = None
        self._host_owner = {}
        self._prefixes = None
        self._names = None
        self._camel = None

    def find_name(self, text: str) -> Organization | None:
        """The organization a name or alias refers to ('NY Times', "Anthropic's"), or None."""
        t = _POSSESSIVE_S.sub("", text.strip()).lower()
        t = _THE.sub("", t) if t not in self.by_alias else t
        key = self.by_alias.get(t) or self.by_alias.get("the " + t)
        return self.by_key[key] if key else None

    def names_of(self, key: str) -> tuple[str, ...]:
        """Every lower-case name and alias of one organization ('pauseai', 'pauseai us', ...)."""
        if self._names is None:
            names: dict[str, list[str]] = {}
            for alias, k in self.by_alias.items():
                names.setdefault(k, []).append(alias)
            self._names = {k: tuple(v) for k, v in names.items()}
        return self._names.get(key, ())

    def find_url(self, host: str, path: str = "") -> Organization | None:
        """The organization that owns a host (longest matching domain suffix, path-aware)."""
        host = host.lower()
        if host in self._host_owner:  # a host none of whose domains has a path prefix: same answer for any path
            key = self._host_owner[host]
            return self.by_key[key] if key is not None else None
        prefixes = self._by_path_prefix()
        parts = host.split(".")
        domains = [".".join(parts[i:]) for i in range(len(parts) - 1)]
        for domain in domains:
            for prefix, key in prefixes.get(domain, ()):
                if path.startswith(prefix):
                    return self.by_key[key]
            if domain in self.by_domain:
                found = self.by_domain[domain]
                break
        else:
            found = None
        if not any(d in prefixes for d in domains):
            self._host_owner[host] = found
        return self.by_key[found] if found is not None else None

    def _by_path_prefix(self) -> dict[str, list[tuple[str, str]]]:
        """Domains given with a path ('nist.gov/aisi'), by host, longest prefix first."""
        if self._prefixes is None:
            table: dict[str, list[tuple[str, str]]] = {}
            for d, key in self.by_domain.items():
                if "/" in d:
                    host, _, rest = d.partition("/")
                    table.setdefault(host, []).append(("/" + rest, key))
            self._prefixes = {h: sorted(v, key=lambda kv: -len(kv[0])) for h, v in table.items()}
        return self._prefixes

    def mentioned_in(self, text: str) -> list[Organization]:
        """Organizations whose name or alias appears in text as whole words (case as written).

        The longest name wins where several start at one place, and matches do not overlap
        (see names_regex).
        """
        if self._finder is None:
            self._finder = names_regex(tuple(self._text_names), r"[\w.]", r"\w")  # not glued: 'U.S', 'x.com'
        found: dict[str, Organization] = {}
        for start, stop, name in names_at_word_starts(text, self._finder):
            key = self._text_names[name]
            if name in self._home_aliases and not names_the_home_body(text, start, stop):
                continue
            if _in_acronym_compound(text, start, stop):
                continue
            found.setdefault(key, self.by_key[key])
        for key in self._camel_mentions(text):
            found.setdefault(key, self.by_key[key])
        return list(found.values())

    def _camel_mentions(self, text: str) -> list[str]:
        """Keys of one-word camel-case names ('EleutherAI', 'DeepMind') written in another
        mixed case ("eLeutherAI's"): a word with a capital inside is a brand however its
        capitals fall, while an all-lower or all-capital word ('openai' in a URL, 'GITHUB' in a
        heading) is left to the exact names.

        What _MIXED_CASE_WORD.findall gives, looked for only where a capital follows a small
        letter or two capitals a small one (every such word holds one), and from the start of
        the run of letters there: the engine skips small letters, most of a text.
        """
        if self._camel is None:
            self._camel = {n.casefold(): k for n, k in self._text_names.items() if _CAMEL_NAME.fullmatch(n)}
        if not self._camel:
            return []
        words = []
        start = -1
        for m in _CASE_CHANGE.finditer(text):
            i = m.start()
            while i > 0 and text[i - 1] in _ASCII_LETTERS:
                i -= 1
            if i != start and (word := _MIXED_CASE_WORD.match(text, i)):
                words.append(word.group(1))
            start = i
        return [self._camel[w.casefold()] for w in words if w.casefold() in self._camel and w not in self._text_names]


# Acronyms hyphenated into one name: 'AP-NORC' (a polling centre), not the AP and NORC; the other
# acronym has 3+ capitals, so a pair of countries or unions ('EU-US talks') still names both.
_ACRONYM_AFTER = re.compile(r"-[A-Z]{3,}(?![\w])")
_ACRONYM_BEFORE = re.compile(r"(?<![\w-])[A-Z]{3,}-$")


def _in_acronym_compound(text: str, start: int, stop: int) -> bool:
    """True when an all-capitals name is joined by a hyphen to another all-capitals word: the
    compound ('AP-NORC', the AP-NORC Center for Public Affairs Research) is its own body, named
    as one word; 'OpenAI-Microsoft' or 'US-based' are not compounds of acronyms."""
    name = text[start:stop]
    if not (name.isupper() and name.isalpha()):
        return False
    return bool(_ACRONYM_AFTER.match(text, stop) or _ACRONYM_BEFORE.search(text[max(0, start - 8) : start]))


_POSSESSIVE_S = re.compile(r"['’]s$")
_THE = re.compile(r"^the\s+")


_CAMEL_NAME = re.compile(r"[A-Za-z]*[a-z][A-Za-z]*[A-Z][A-Za-z]*")  # one word, a capital after a lower-case letter
# A word in mixed case with a capital after its first letter, not inside a URL, path or handle
_MIXED_CASE_WORD = re.compile(
    r"(?<![\w./@#-])([A-Za-z]*[a-z][A-Za-z]*[A-Z][A-Za-z]*|[A-Z][A-Z]+[a-z][A-Za-z]*)(?![\w./-])"
)
# Where such a word changes case: a capital after a small letter, or two capitals before a small one
_CASE_CHANGE = re.compile(r"[A-Z](?<=[a-z][A-Z])|[A-Z][A-Z][a-z]")
_ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_CAMEL_WORD = re.compile(r"\b[A-Z][a-z]+[A-Z][A-Za-z]*\b")  # 'DeepMind', 'OpenAI', 'GitHub'
_DEPARTMENT_OF = re.compile(r"^((?:US|U\.S\.)\s+)?Department of (?:the\s+)?([A-Z][a-z]+)$")
_IZATION = re.compile(r"(?<=\w)i([sz])ation")


def _with_variants(names: list[str]) -> list[str]:
    """The names as written, then the other ways people write them, each once.

    'Department of Energy' is also 'Energy Department' (and 'US Department of X' 'US X
    Department'); British and American spellings of -isation/-ization are the same name
    ('International Civil Aviation Organisation'). A brand written in camel case is often
    written with its inner capital dropped ('Google Deepmind', 'Openai', 'Github').
    """
    out = list(names)
    for n in names:
        if _CAMEL_WORD.search(n):
            out.append(_CAMEL_WORD.sub(_drop_inner_capitals, n))
        m = _DEPARTMENT_OF.match(n)
        if m:
            out.append(f"{m.group(1) or ''}{m.group(2)} Department")
        if _IZATION.search(n):
            out.append(_IZATION.sub(lambda z: "i" + ("z" if z.group(1) == "s" else "s") + "ation", n))
    return list(dict.fromkeys(out))


def _drop_inner_capitals(m: re.Match) -> str:
    """'DeepMind' -> 'Deepmind'; short words ('DoD') keep their case: lowered they read as others."""
    word = m.group()
    return word[0] + word[1:].lower() if len(word) >= 5 else word


# The country or union a body's full name starts with, which its short name leaves out
_HOME = re.compile(r"(?:The\s+)?(?:US|U\.S\.|USA|United States|UK|U\.K\.|United Kingdom|EU|European|Federal)")
# Capitalised words before a short name that do not make it another body: sentence words, the
# home country itself, parties ('the Republican Senate' is still the US Senate)
_NOT_QUALIFIERS = frozenset(
    "The A An This That These Those Our Their His Her Its In At From With And Or But For By On Of To As "
    "If When Why How What Who Where While After Before Since Until Then So Yet Will Would Can Could Should "
    "May Might Must Did Does Do Is Are Was Were Has Have Had Says Said Than Against Into Over Under About "
    "Without Not No Every Each Both Whole Entire Full New Next Current Former Now Today "
    "US U.S. USA UK U.K. EU American British European Federal National United States Kingdom "
    "Republican Republicans Democratic Democrats GOP".split()
)
_QUALIFIER_BEFORE = re.compile(r"(?:^|[^\w.’'])([A-Z][\w.’'\-]*|state|federal)\s+$")
_BILL_AFTER = re.compile(r"\s+(?:Bill|Resolution|Joint Resolution)\s+(?:No\.\s*)?[A-Z]{0,3}\d")


def is_home_alias(alias: str, name: str) -> bool:
    """A short name that drops the country from the full one: 'Senate' for 'US Senate',
    'AI Security Institute' for 'UK AI Security Institute', 'Copyright Office' for 'US Copyright
    Office'. Only those can name another country's or state's body of the same kind."""
    return alias != name and name.endswith(" " + alias) and bool(_HOME.fullmatch(name[: -len(alias) - 1]))


def names_the_home_body(text: str, start: int, stop: int) -> bool:
    """Does the short name at text[start:stop] stand for its home country's body?

    Not when another qualifier stands right before it ('Colorado Senate', 'Utah Senate', 'Japan
    AI Safety Institute', 'the state Senate': a different body), and not as part of a numbered
    bill's name ('Senate Bill 24-205', 'House Bill 1121'), which is how states number their bills
    (the US Congress writes 'S. 321') and says nothing certain about which chamber it is.
    """
    before = _QUALIFIER_BEFORE.search(text, max(0, start - 40), start)
    if before and before.group(1) not in _NOT_QUALIFIERS:
        return False
    return not _BILL_AFTER.match(text, stop)


@lru_cache(maxsize=8)  # a table's names are compiled once per process, not per OrgTable
def names_regex(names: tuple[str, ...], glued: str, goes_on: str) -> re.Pattern:
    """A regex finding any of the names where a word starts, longest first, without overlaps.

    A name is found where the character before it does not match glued (a regex character
    class) and the character after it does not match goes_on: what '(?<!glued)(name1|name2|...)
    (?!goes_on)' with the names longest first finds. That regex tries every name at every
    place; this one is the names' trie (one branch per next character, a longer name tried
    before a shorter one it extends), so each place costs a few steps whatever the number of
    names, and the look-behind comes after a first character, so the engine skips from one
    character some name starts with to the next.
    """
    trie: dict = {}
    for name in filter(None, names):
        node = trie
        for ch in name:
            node = node.setdefault(ch, {})
        node[""] = {}
    firsts = [re.escape(ch) + f"(?<!{glued}{re.escape(ch)})" + _rest_of_names(node) for ch, node in trie.items()]
    return re.compile("(?:" + "|".join(firsts) + f")(?!{goes_on})" if firsts else "(?!)")


def _rest_of_names(node: dict) -> str:
    """The regex of the names' ends below a trie node; '' marks a name ending there."""
    branches = []
    for ch, child in node.items():
        if not ch:
            continue
        run = ch
        while len(child) == 1 and "" not in child:  # one way on: a run of literal characters
            ((next_ch, child),) = child.items()
            run += next_ch
        branches.append(re.escape(run) + _rest_of_names(child))
    if not branches:
        return ""
    rest = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{rest})?" if "" in node else rest  # greedy: the longer name first


def names_at_word_starts(text: str, finder: re.Pattern) -> list[tuple[int, int, str]]:
    """(start, stop, name) for each name a names_regex finds in text, in text order."""
    return [(m.start(), m.end(), m.group()) for m in finder.finditer(text)]


def load_org_table(extra: list[str | Path] = ()) -> OrgTable:
    """The bundled table, then each extra CSV in order (later rows override earlier ones)."""
    table = OrgTable()
    bundled = resources.files("kgraph").joinpath("data/organizations.csv")
    _read_rows(table, bundled.read_text(encoding="utf-8"), "organizations.csv")
    for path in extra:
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except OSError as e:
            raise InputError(f"{path}: cannot read organizations table: {e.strerror or e}") from None
        _read_rows(table, text, str(path))
    return table


def _read_rows(table: OrgTable, text: str, source: str) -> None:
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or "name" not in reader.fieldnames:
        raise InputError(f"{source}: an organizations table needs a header with at least 'name'")
    for n, row in enumerate(reader, start=2):
        name = (row.get("name") or "").strip()
        if not name:
            raise InputError(f"{source}, line {n}: empty name")
        split = lambda v: [x.strip() for x in (v or "").split("|") if x.strip()]  # noqa: E731
        table.add(
            name,
            (row.get("kind") or "").strip(),
            split(row.get("domains")),
            split(row.get("aliases")),
            (row.get("match_text") or "yes").strip().lower() != "no",
        )


# Words that make a capitalised phrase an institution: "Rockefeller Foundation", "Office of
# Management and Budget", "House Committee on Science, Space, and Technology".
_HEADS = (
    r"Institute|Foundation|University|Universit[ée]|Center|Centre|Lab|Labs|Laboratory|School|College|"
    r"Office|Department|Ministry|Committee|Commission|Council|Agency|Association|Society|Coalition|"
    r"Alliance|Fund|Trust|Initiative|Corporation|Corp\.|Inc\.|Ltd\.|Bureau|Authority|Parliament|"
    r"Archives|Academy|Consortium|Federation|Union|Board|Court|Party|Press|Network|Organi[sz]ation"
)
_CAP = r"(?:[A-Z][\w&'’\-]*(?:\.(?=\w)\w+)*)"
# A capitalised word after the head word: "O'Neill" yes, but a possessive ("..., Musk's plan")
# starts something else
_TAIL_CAP = r"(?:[A-Z][\w&\-]*(?:['’](?!s\b)\w+)*(?:\.(?=\w)\w+)*(?!['’]s\b))"
# Words inside a name: "of", "and"... and commas of a list ("Science, Space, and Technology"),
# but not ", the": "Department of Commerce, the Institute ..." is two names
_LINK = r"(?:\s*,(?!\s*the\b)|\s+(?:of|for|on|and|&|de|the)){0,3}"
_ORG_PHRASE = re.compile(
    rf"(?<![\w.])((?:{_CAP}\s+){{1,5}}(?:{_HEADS})(?:(?:\s+(?:of|for|on|in)(?:\s+the)?\s+{_TAIL_CAP}(?:{_LINK}\s+{_TAIL_CAP}){{0,4}}))?"
    rf"|(?:{_HEADS})\s+(?:of|for|on)(?:\s+the)?\s+{_TAIL_CAP}(?:{_LINK}\s+{_TAIL_CAP}){{0,4}})(?![\w])"
)
_LEADING = re.compile(r"^(?:The|A|An|This|That|These|Our|Their|His|Her|Its|In|At|From|With|And|Or|But|For|By|On|Of)\s+")


def orgs_in_text(text: str, table: OrgTable | None = None) -> list[Organization]:
    """Institutions named in running text by a head word; known names resolve to the table."""
    found: dict[str, Organization] = {}
    for m in _ORG_PHRASE.finditer(text):
        name = _LEADING.sub("", m.group(1).strip(" ,"))
        name = re.sub(r"[,\s]+(?:and|&)$", "", name).strip(" ,")
        name = _unclosed_list_cut(name)
        if len(name.split()) < 2 or len(name) > 90:
            continue
        whole, name = name, _after_possessive(name, table)
        owner = _possessive_owner(name, table) if name == whole else None  # a split-off owner stays in the text
        if owner is not None:
            found.setdefault(owner.key, owner)
        for part in joined_institutions(name, table):
            org = (table.find_name(part) if table else None) or (
                _known_with_words_before(text, m.start(1), part, table) if table and part == name else None
            )
            org = org or Organization(name=part, key=slug(part))
            found.setdefault(org.key, org)
    return list(found.values())


def _known_with_words_before(text: str, start: int, name: str, table: OrgTable) -> Organization | None:
    """The table's name that the phrase ends, with up to three words before it: the phrase rule
    starts at a capitalised word, so 'Future of Humanity Institute' reads as 'Humanity
    Institute'; the words before ('Future of') make the known name whole."""
    words = text[max(0, start - 60) : start].split()
    for k in (3, 2, 1):
        if len(words) >= k and words[-k][:1].isupper():
            org = table.find_name(" ".join([*words[-k:], name]))
            if org is not None:
                return org
    return None


def _possessive_owner(name: str, table: OrgTable | None) -> Organization | None:
    """The known organization a phrase's possessive names as owner: 'Brown University' in
    "Brown University's Watson Institute", and a university by its short name ("Brown's Watson
    Institute"): the owner is named too, and masking the phrase, kept whole, must not lose it."""
    m = _POSSESSIVE.match(name)
    if not m or table is None:
        return None
    owner = _POSSESSIVE_S.sub("", m.group().strip())
    return table.find_name(owner) or _university_by_short_name(owner, table)


def _university_by_short_name(short: str, table: OrgTable) -> Organization | None:
    """'Brown' for Brown University, 'Oxford' for University of Oxford: a short name the table
    does not match in running text (a surname, a colour), safe only as an owner before an
    institution ('Brown's Watson Institute')."""
    for full in (f"{short} University", f"University of {short}"):
        org = table.find_name(full)
        if org is not None and org.kind == "university":
            return org
    return None


_CLOSED_LIST = re.compile(r",[^,]*\b(?:and|&)\s+\S+[^,]*$")


def _unclosed_list_cut(name: str) -> str:
    """A comma inside a name lists the parts of its subject and the list closes with 'and'
    ('Committee on Commerce, Science, and Transportation'); a comma with no 'and' after it ends
    the name, and what follows is the sentence's next item ('the Allen Institute for AI, OpenELM
    from Apple')."""
    if "," not in name or _CLOSED_LIST.search(name):
        return name
    return name.split(",", 1)[0].strip()


_POSSESSIVE = re.compile(r"^(?:[A-Z][\w.&\-]*\s+){0,3}[A-Z][\w.&\-]*['’]s\s+")
_SELF_CONTAINED = re.compile(rf"^(?:{_HEADS})\s+(?:of|for|on)\s")


def _after_possessive(name: str, table: OrgTable | None) -> str:
    """ "Georgetown's Center for Security and Emerging Technology" is the Center, owned by
    Georgetown (which the table pass finds on its own): drop the owner when what follows is a
    known name or a whole name by itself ('Center for ...'), not a bare 'Law School'."""
    m = _POSSESSIVE.match(name)
    if not m:
        return name
    rest = name[m.end() :]
    if len(rest.split()) >= 2 and ((table and table.find_name(rest)) or _SELF_CONTAINED.match(rest)):
        return rest
    return name


_JOINED = re.compile(r"^(.+?)\s+(?:and|&)\s+(.+)$")


def joined_institutions(name: str, table: OrgTable | None = None) -> list[str]:
    """'Columbia University and Fordham University' is two organizations: a name that joins
    two whole institution names (each known to the table or a head-word phrase by itself) with
    'and' is split, unless the table knows the joined name ('Office of Science and Technology
    Policy' has no institution on each side; 'Johns Hopkins University and Medicine' neither)."""
    if table is not None and table.find_name(name) is not None:
        return [name]
    m = _JOINED.match(name.strip())
    if not m:
        return [name]
    parts = [_LEADING.sub("", p.strip(" ,")) for p in m.groups()]
    if all(_is_institution(p, table) for p in parts):
        return parts
    return [name]


def _is_institution(name: str, table: OrgTable | None) -> bool:
    """A whole institution's name: the table's, or one the phrase rule reads as a single name."""
    if table is not None and table.find_name(name) is not None:
        return True
    m = _ORG_PHRASE.fullmatch(name)
    return bool(m) and " and " not in name and " & " not in name
