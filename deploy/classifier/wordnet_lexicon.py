#!/usr/bin/env python3
"""Writes lexicon/<category>.txt: domain vocabulary for the classifier, taken from WordNet 3.0.

The hand-written examples teach the classifier how questions of each category are phrased; the
lexicon teaches it the words of each field that those few examples cannot cover ("affidavit" is
law, "antimatter" physics). For each category it collects the lemmas of WordNet synsets that
(a) belong to one of the category's topic domains (WordNet's ";c" domain pointers, the domain
synsets taken with all their hyponyms), or (b) descend from one of its root concepts through
hypernym or instance-hypernym links (e.g. every disease, every battle), keeping only lemmas whose
most frequent sense is such a synset. Lemmas found for two categories are dropped. Lines hold a few lemmas each, so the lexicon reads as short documents.

Run by hand after changing the roots: needs Debian's `wordnet-base` (/usr/share/wordnet).
WordNet 3.0 is (c) Princeton University, used under the WordNet 3.0 license (see
lexicon/WORDNET-LICENSE); the output is deterministic.
"""
import collections
import os
import random
import sys

WORDNET = "/usr/share/wordnet/"
HERE = os.path.dirname(os.path.abspath(__file__))

# Synset ids ("n" + offset in data.noun) of WordNet 3.0.
CATEGORIES = {
    "math": {
        "domains": ["n06000644"],  # mathematics
        "roots": ["n13783581", "n13582013", "n06669864", "n06021499",  # relation, number, equation, statistic
                  "n10301261"],  # mathematician
    },
    "science": {
        "domains": ["n06090869", "n06084469", "n06037666", "n06095022",  # physics, chemistry, biology, astronomy
                    "n06115701", "n06118563", "n06070929", "n06075527"],  # geology, meteorology, ecology, genetics
        "roots": ["n14622893", "n14818238", "n09239740", "n14619225", "n09386422",  # element, compound, body, atom, particle
                  "n11458624", "n11452218", "n00006484", "n05436752",  # force, energy, cell, gene
                  "n10428004", "n09913824", "n09855630",  # physicist, chemist, biologist
                  "n11408559", "n13446390", "n13518963", "n13526110", "n09287968"],  # phenomena, processes, formations
    },
    "coding": {
        "domains": ["n06128570", "n00928947"],  # computer science, programming
        "roots": ["n06566077", "n06898352", "n05728493", "n05847438", "n06637824",  # software, language, data structure, algorithm, database
                  "n10481268"],  # programmer
    },
    "business": {
        "domains": ["n01090446", "n01094725", "n06150633", "n06149484", "n05662532", "n00618734"],
        "roots": ["n13384557", "n08058098", "n13333237", "n01099436", "n01112420", "n01097292",
                  "n08072837", "n13308999", "n13254985"],  # money, company, investment, marketing, market, tax, gain
    },
    "health": {
        "domains": ["n06043075", "n00612160", "n06045562", "n06055946"],  # medicine, medical science, psychiatry
        "roots": ["n14070360", "n14061805", "n14299637", "n14285662", "n03247620", "n03740161",
                  "n05220461", "n01024392", "n00021265", "n15089258", "n00624738", "n14052403",
                  "n14322699", "n14174549", "n07570720"],  # disease ... infection, nutrition
    },
    "law": {
        "domains": ["n08441203", "n00611143", "n06161718"],  # law, legal profession, jurisprudence
        "roots": ["n00766234", "n08329453", "n10249950", "n06479665", "n06520944", "n05177285",
                  "n01182654", "n06532330"],  # crime, court, lawyer, legal document, contract, right, lawsuit
    },
    "history": {
        "domains": ["n06155567"],  # history
        "roots": ["n10053004", "n10628644", "n10650162", "n07971582", "n08557482", "n08405723",
                  "n15254028", "n00973077", "n00953559", "n00962722", "n06773434", "n10072708",
                  "n10467395", "n10316862", "n08287844"],  # emperor ... civilization
    },
}

LEMMAS_PER_LINE = int(os.environ.get("LEMMAS_PER_LINE", "3"))
# The most frequent lemmas of each category are kept (frequency from WordNet's sense-tagged
# corpus counts, cntlist.rev), so fields with huge taxonomies (biology's species, medicine's
# diseases) do not drown the others: with 2000 the categories' lexicons are of similar size,
# which scored best on validation.tsv (5000 let science and health outweigh the rest).
MAX_LEMMAS = int(os.environ.get("MAX_LEMMAS", "2000"))


def load():
    synsets = {}
    for pos in ("noun", "verb", "adj", "adv"):
        with open(WORDNET + "data." + pos, encoding="latin-1") as data:
            for line in data:
                if line.startswith("  "):
                    continue
                fields = line.partition(" | ")[0].split()
                count = int(fields[3], 16)
                words = [fields[4 + 2 * i] for i in range(count)]
                index = 4 + 2 * count
                pointers = []
                for _ in range(int(fields[index])):
                    symbol, offset, target_pos = fields[index + 1:index + 4]
                    pointers.append((symbol, {"s": "a"}.get(target_pos, target_pos) + offset))
                    index += 4
                synsets[pos[0] + fields[0]] = (words, pointers)
    return synsets


def frequencies():
    counts = collections.Counter()
    with open(WORDNET + "cntlist.rev", encoding="latin-1") as data:
        for line in data:
            key, _, count = line.split()
            counts[key.split("%")[0].replace("_", " ").lower()] += int(count)
    return counts


def first_senses():
    """Each lemma's most frequent sense (WordNet lists senses by frequency), per word form."""
    first = {}
    for pos in ("noun", "verb", "adj", "adv"):
        with open(WORDNET + "index." + pos, encoding="latin-1") as index:
            for line in index:
                if line.startswith("  "):
                    continue
                fields = line.split()
                synset_count, pointer_count = int(fields[2]), int(fields[3])
                offsets = fields[6 + pointer_count:6 + pointer_count + synset_count]
                lemma = fields[0].replace("_", " ")
                # Nouns first: the question words the classifier meets are mostly nouns.
                first.setdefault(lemma, pos[0] + offsets[0])
    return first


def main():
    synsets = load()
    frequency = frequencies()
    first = first_senses()
    hyponyms = collections.defaultdict(list)
    members = collections.defaultdict(list)
    for key, (_, pointers) in synsets.items():
        for symbol, target in pointers:
            if symbol in ("@", "@i"):
                hyponyms[target].append(key)
            elif symbol == ";c":
                members[target].append(key)

    def closure(starts):
        seen, stack = set(), list(starts)
        while stack:
            key = stack.pop()
            if key not in seen:
                seen.add(key)
                stack.extend(hyponyms[key])
        return seen

    lemmas = {}
    for category, spec in CATEGORIES.items():
        domains = closure(spec["domains"])
        found = set(domains) | closure(spec["roots"])
        for domain in domains:
            found |= closure(members[domain])
        words = set()
        for key in found:
            for word in synsets[key][0]:
                text = word.split("(")[0].replace("_", " ").lower()
                # Only words whose most common meaning is in the field: "point" and "coast"
                # have scientific senses too, but are not evidence of a science question.
                if len(text) >= 3 and not text.isdigit() and first.get(text) in found:
                    words.add(text)
        lemmas[category] = words

    counts = collections.Counter(word for words in lemmas.values() for word in words)
    os.makedirs(os.path.join(HERE, "lexicon"), exist_ok=True)
    for category, words in lemmas.items():
        unique = sorted(word for word in words if counts[word] == 1)
        unique.sort(key=lambda word: -frequency[word])  # stable: ties stay alphabetical
        unique = unique[:MAX_LEMMAS]
        random.Random(category).shuffle(unique)
        path = os.path.join(HERE, "lexicon", category + ".txt")
        with open(path, "w") as out:
            out.write(f"# {category}: WordNet 3.0 vocabulary, generated by ../wordnet_lexicon.py\n")
            for start in range(0, len(unique), LEMMAS_PER_LINE):
                out.write(", ".join(unique[start:start + LEMMAS_PER_LINE]) + "\n")
        print(f"{category}: {len(unique)} lemmas", file=sys.stderr)


if __name__ == "__main__":
    main()
