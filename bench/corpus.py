"""The benchmark's corpus: N Markdown notes, the same for the same seed.

Each note is a file DIR/YYYY/NNNNNNN.md with YAML front matter (a distinct
`date` for every note, an explicit `slug` on about one note in ten, `draft`
on about one in fifty, zero to two `tags`) and a Markdown body of 50 to 1500 characters:
paragraphs with emphasis, inline code and links, some bullet lists, some
block quotes. Dates are strictly increasing with the file number and end at
2025-06-01, about half an hour apart.

A corpus is written once into the cache folder and reused; bump
CORPUS_VERSION whenever what `write_notes` writes changes.
"""

import datetime
import os
import random
import shutil

CORPUS_VERSION = 2

# Tags: each note has up to two of these (about one in ten has BENCH_TAG).
TAGS = ("Cycling", "Cooking", "Gardening", "Rust", "IndieWeb", "Travel", "Photos", "Music",
        "Books", "Weather")
BENCH_TAG = "gardening"

WORDS = (
    "the a of to and in that it is was for on with as at by this from be have "
    "or not are but one all we when there can an your which their said if do "
    "will each about how up out them then she many some so these would other "
    "into has more her two like him see time could no make than first been its "
    "who now people my made over did down only way find use may water long "
    "little very after words called just where most know get through back much "
    "before go good new write our used me man too any day same right look think "
    "also around another came come work three word must because does part even "
    "place well such here take why things help put years different away again "
    "off went old number great tell men say small every found still between "
    "name should home big give air line set own under read last never us left "
    "end along while might next sound below saw something thought both few "
    "those always looked show large often together asked house world going "
    "want school important until form food keep children feet land side without "
    "boy once animals life enough took sometimes four head above kind began "
    "almost live page got earth need far hand high year mother light parts "
    "country father let night following picture being study second eyes soon "
    "times story boys since white days ever paper hard near sentence better "
    "best across during today others however sure means knew try told young "
    "miles sun ways thing whole hear example heard several change answer room "
    "sea against top turned learn point city play toward five using himself "
    "usually indieweb feed notes server rust sqlite markdown bicycle coffee "
    "garden train weekend kitchen library morning river mountain walk photo "
    "webmention microformats syndication blog site domain owner permalink"
).split()

SITES = (
    "https://example.com/", "https://indieweb.org/", "https://www.rust-lang.org/",
    "https://sqlite.org/", "https://en.wikipedia.org/wiki/", "https://blog.example.net/",
    "https://microformats.org/wiki/", "https://docs.example.org/guide/",
)


def sentence(rng):
    words = [rng.choice(WORDS) for _ in range(rng.randint(5, 16))]
    roll = rng.random()
    i = rng.randrange(len(words))
    if roll < 0.18:
        words[i] = "*" + words[i] + "*"
    elif roll < 0.28:
        words[i] = "**" + words[i] + "**"
    elif roll < 0.36:
        words[i] = "`" + words[i] + "()`"
    elif roll < 0.58:
        j = min(len(words), i + rng.randint(1, 3))
        text = " ".join(words[i:j])
        path = "-".join(w.strip("*`()") for w in words[i:j])
        words[i:j] = ["[" + text + "](" + rng.choice(SITES) + path + ")"]
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice(".....!?")


def paragraph(rng, budget):
    out = []
    while not out or (sum(len(s) + 1 for s in out) < budget and rng.random() < 0.8):
        out.append(sentence(rng))
    return " ".join(out)


def block(rng, budget):
    roll = rng.random()
    if roll < 0.15:
        items = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 7)))
                 for _ in range(rng.randint(2, 5))]
        return "\n".join("- " + item for item in items)
    if roll < 0.2:
        return "> " + sentence(rng)
    return paragraph(rng, budget)


def body(rng):
    target = rng.choice((rng.randint(50, 280), rng.randint(50, 700), rng.randint(200, 1500)))
    blocks = []
    length = 0
    while length < target:
        piece = block(rng, target - length)
        if length + len(piece) > 1500:
            break
        blocks.append(piece)
        length += len(piece) + 2
    if not blocks:
        blocks.append(sentence(rng)[:120])
    text = "\n\n".join(blocks)
    if len(text) < 50:
        text += " " + sentence(rng)
    return text[:1500].rstrip() + "\n"


def write_notes(count, seed, outdir):
    """Writes `count` notes into `outdir` (which must be empty)."""
    rng = random.Random(seed)
    end = datetime.datetime(2025, 6, 1, tzinfo=datetime.timezone.utc)
    step = 1800
    start = end - datetime.timedelta(seconds=step * count)
    made = set()
    for n in range(count):
        at = start + datetime.timedelta(seconds=step * n + rng.randrange(step))
        front = ["date: " + at.strftime("%Y-%m-%dT%H:%M:%SZ")]
        if rng.random() < 0.1:
            front.append("slug: bench-note-%07d" % n)
        if rng.random() < 0.02:
            front.append("draft: true")
        tags = sorted({rng.choice(TAGS) for _ in range(rng.randint(0, 2))})
        if tags:
            front.append("tags: [%s]" % ", ".join(tags))
        folder = os.path.join(outdir, at.strftime("%Y"))
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        text = "---\n" + "\n".join(front) + "\n---\n\n" + body(rng)
        with open(os.path.join(folder, "%07d.md" % n), "w", encoding="utf-8") as f:
            f.write(text)


def corpus_for(count, seed, cache_dir, log):
    """A folder holding `count` notes for `seed`, generated on first use."""
    folder = os.path.join(cache_dir, "corpus-v%d-n%d-seed%d" % (CORPUS_VERSION, count, seed))
    marker = os.path.join(folder, ".complete")
    if os.path.exists(marker):
        log("reusing the %d notes in %s" % (count, folder))
        return folder
    log("generating %d notes (seed %d) into %s" % (count, seed, folder))
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    write_notes(count, seed, folder)
    open(marker, "w").close()
    return folder
