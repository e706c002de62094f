"""The text of generated tickets: a pool of sentences built once, with their search words.

Generating millions of comments word by word would dominate the generator's time, so a comment
is one to four sentences drawn from a pool. Each sentence keeps its search words (what
``supportal.search.text.search_words`` makes of it) next to its prose, so search documents are
joined from ready words instead of re-normalising the text.

Frequencies follow a Zipf law, as real support text does: a few words ("va", "eroare") are in a
large share of tickets, most are rare. ``RARE_WORD`` is in roughly one ticket in five hundred
(the runner's "specific word" search); ``COMMON_WORD``, among the most frequent words, in
nearly every ticket (the "common word" search, the worst case).
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

from supportal.search.text import search_words

COMMON_WORD = "eroare"
RARE_WORD = "xerografie"

# Support vocabulary, most frequent first (Romanian and English, as the customers write).
_BASE = [
    "va",
    "rog",
    "eroare",
    "nu",
    "functioneaza",
    "comanda",
    "factura",
    "please",
    "the",
    "error",
    "cannot",
    "portal",
    "raport",
    "utilizator",
    "parola",
    "cont",
    "client",
    "livrare",
    "export",
    "import",
    "sistem",
    "aplicatie",
    "server",
    "mesaj",
    "ecran",
    "problema",
    "verificati",
    "multumesc",
    "buna",
    "ziua",
    "hello",
    "thanks",
    "issue",
    "order",
    "invoice",
    "login",
    "password",
    "account",
    "update",
    "version",
    "release",
    "fix",
    "bug",
    "configurare",
    "setare",
    "modul",
    "licenta",
    "furnizor",
    "depozit",
    "stoc",
    "produs",
    "pret",
    "discount",
    "retur",
    "plata",
    "card",
    "transfer",
    "banca",
    "termen",
    "contract",
    "oferta",
    "document",
    "fisier",
    "atasament",
    "captura",
    "email",
    "notificare",
    "alerta",
    "sincronizare",
    "baza",
    "date",
    "tabel",
    "coloana",
    "camp",
    "valoare",
    "lipsa",
    "gresit",
    "duplicat",
    "blocat",
    "lent",
    "rapid",
    "timeout",
    "conexiune",
    "retea",
    "imprimanta",
    "scanner",
    "etichete",
    "cod",
    "bare",
    "inventar",
    "gestiune",
    "contabilitate",
    "salarii",
    "pontaj",
    "concediu",
    "angajat",
    "departament",
    "manager",
    "aprobare",
    "flux",
    "semnatura",
    "arhiva",
    "backup",
    "restaurare",
    "migrare",
    "instalare",
    "dezinstalare",
    "actualizare",
    "compatibilitate",
    "browser",
    "chrome",
    "firefox",
    "windows",
    "linux",
    "android",
    "mobil",
    "tableta",
    "api",
    "integrare",
    "webhook",
    "edi",
    "xml",
    "csv",
    "pdf",
    "excel",
    "word",
    "raportare",
    "statistica",
    "grafic",
    "filtru",
    "cautare",
    "sortare",
    "paginare",
    "permisiuni",
    "rol",
    "grup",
    "administrator",
    "supervizor",
    "operator",
    "casier",
    "magazin",
    "punct",
    "vanzare",
    "bon",
    "fiscal",
    "tva",
    "declaratie",
    "anaf",
    "spv",
    "efactura",
    "etransport",
    "nir",
    "aviz",
    "receptie",
    "transfer",
    "gestiuni",
    "lot",
    "serie",
    "garantie",
    "service",
    "reparatie",
    "piesa",
    "schimb",
    "comandat",
    "livrat",
    "anulat",
    "confirmat",
    "urgent",
    "astazi",
    "maine",
    "saptamana",
    "luna",
    "trimestru",
    "anual",
    "ieri",
    "dimineata",
    "seara",
    "noaptea",
    "weekend",
]

# Romanian with diacritics, as customers type it: the search folds them (ș -> s).
_ACCENTED = [
    "mulțumesc",
    "învățare",
    "înregistrare",
    "țară",
    "șef",
    "următoarea",
    "săptămână",
    "până",
    "când",
]


@dataclass(frozen=True)
class Sentence:
    text: str
    words: str  # search words, space-separated


class TextPool:
    """Sentences to draw tickets' summaries, details and comments from; deterministic per seed."""

    def __init__(self, *, seed: int, size: int = 40_000) -> None:
        rng = random.Random(seed)
        # Rare words: invented, one per few hundred sentences; they make "specific" searches.
        rare = [f"{rng.choice(_BASE)[:4]}{rng.choice('bdfgklmnprstvz')}{i}ix" for i in range(3000)]
        vocabulary = [*_BASE, *_ACCENTED, *rare]
        weights = [1.0 / (rank + 1) ** 1.05 for rank in range(len(vocabulary))]
        cumulative = []
        total = 0.0
        for weight in weights:
            total += weight
            cumulative.append(total)
        self.sentences: list[Sentence] = []
        for index in range(size):
            count = rng.randint(6, 16)
            words = rng.choices(vocabulary, cum_weights=cumulative, k=count)
            if index % 5000 == 0:
                words.insert(rng.randrange(len(words)), RARE_WORD)
            text = " ".join(words)
            text = text[0].upper() + text[1:] + rng.choice((".", ".", ".", "?", "!"))
            self.sentences.append(Sentence(text, " ".join(search_words(text))))
        self.summaries: list[Sentence] = []
        for _index in range(size // 4):
            words = rng.choices(vocabulary, cum_weights=cumulative, k=rng.randint(3, 9))
            text = " ".join(words)
            text = text[0].upper() + text[1:]
            self.summaries.append(Sentence(text, " ".join(search_words(text))))

        for sentence in (*self.sentences, *self.summaries):
            # generate._copy_text writes these into COPY as they are.
            assert not set(sentence.text) & {"\t", "\n", "\r", "\\"}, sentence.text
            assert not sentence.text.startswith("None"), sentence.text

    def paragraph(self, rng: random.Random, low: int, high: int) -> tuple[str, str]:
        """(text, search words) of ``low`` to ``high`` sentences."""
        picked = [
            self.sentences[rng.randrange(len(self.sentences))]
            for _ in range(rng.randint(low, high))
        ]
        return " ".join(s.text for s in picked), " ".join(s.words for s in picked)

    def summary(self, rng: random.Random) -> Sentence:
        return self.summaries[rng.randrange(len(self.summaries))]


@functools.cache
def text_pool(seed: int) -> TextPool:
    """The pool of ``seed``, built once per process (0.7 s of CPU; it is never changed after):
    the PostgreSQL loader's forked workers inherit the one their parent built, and a process
    that generates several times (the tests) builds it once."""
    return TextPool(seed=seed)
