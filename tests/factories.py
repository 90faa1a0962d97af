"""Plain helper functions that build test data.

Every text here is invented for the tests (short bilingual pieces written for this suite); none
comes from ../shared, so the suite runs on a machine without it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from archive import services
from archive.interchange import parse_record
from archive.models import Article

# --- invented bilingual texts --------------------------------------------------------------------

FERRY = {
    "title": {
        "zh-hans": "江边渡口的最后一班船",
        "en": "The Last Ferry at the River Crossing",
    },
    "paragraphs": {
        "zh-hans": [
            "傍晚六点，老周把船绳从石柱上解下来。",
            "这条渡线已经开了四十年，桥修好以后，坐船的人一年比一年少。",
            "他说，只要还有一个人要过江，船就照常开。",
        ],
        "en": [
            "At six in the evening, Old Zhou untied the rope from the stone post.",
            "The ferry has run for forty years; since the bridge opened, fewer people take it "
            "every year.",
            "As long as one person still needs to cross, he says, the boat will sail.",
        ],
    },
}

LIBRARY = {
    "title": {"zh-hans": "山顶上的图书馆", "en": "The Library on the Mountain"},
    "paragraphs": {
        "zh-hans": [
            "村里的孩子每周六要走两个小时的山路来借书。",
            "图书馆只有一间屋子，书架是志愿者用旧门板钉成的。",
        ],
        "en": [
            "Every Saturday the village children walk two hours up the mountain to borrow books.",
            "The library is a single room; volunteers built the shelves from old doors.",
        ],
    },
}

TEA_STALL = {
    "title": {"zh-hans": "夜市里的茶摊", "en": "The Tea Stall at the Night Market"},
    "paragraphs": {
        "zh-hans": [
            "茶摊九点开张，第一壶总是留给隔壁卖馄饨的阿姨。",
            "老板娘记得每个熟客的口味：少糖、去冰，或者多放一片柠檬。",
            "夜里两点收摊时，她会把剩下的茶分给清洁工。",
        ],
        "en": [
            "The stall opens at nine, and the first pot always goes to the wonton seller next "
            "door.",
            "The owner remembers every regular's order: less sugar, no ice, or an extra slice "
            "of lemon.",
            "When she closes at two in the morning, she gives what tea is left to the street "
            "sweepers.",
        ],
    },
}

LIN_QIAO = {"name": {"zh-hans": "林桥", "en": "Lin Qiao"}, "slug": "lin-qiao"}
CHEN_XIAOYU = {"name": {"zh-hans": "陈晓雨", "en": "Chen Xiaoyu"}, "slug": "chen-xiaoyu"}
WANG_AN = {"name": {"zh-hans": "王安", "en": "Wang An"}, "slug": "wang-an"}
ZHAO_MING = {"name": {"zh-hans": "赵明"}, "slug": "赵明"}

HARBOR_NOTES = {
    "name": {"zh-hans": "港湾笔记", "en": "Harbor Notes"},
    "slug": "harbor-notes",
    "url": "https://harbor-notes.example.org/",
    "social": [
        {"label": "Twitter", "url": "https://twitter.com/HarborNotesCN"},
        {"label": "Harbor Notes TG Channel", "url": "https://t.me/harbornotes"},
    ],
}
LANTERN_PRESS = {
    "name": {"zh-hans": "灯笼出版", "en": "Lantern Press"},
    "slug": "lantern-press",
    "url": "https://lantern-press.example.com/",
    "social": [{"label": "Mastodon", "url": "https://mastodon.example.com/@lantern"}],
}


def body(text: dict, language: str) -> str:
    """A body in the archive's canonical form: paragraphs separated by one blank line."""
    return "\n\n".join(text["paragraphs"][language])


# --- interchange records -------------------------------------------------------------------------


def bilingual_record(external_id: str = "ferry-crossing", text: dict = FERRY, **overrides) -> dict:
    """A full interchange record: a Chinese original with a published English translation."""
    record: dict[str, Any] = {
        "external_id": external_id,
        "original_language": "zh-hans",
        "title": dict(text["title"]),
        "summary": {},
        "body": {code: body(text, code) for code in ("zh-hans", "en")},
        "authors": [copy.deepcopy(LIN_QIAO)],
        "outlet": copy.deepcopy(HARBOR_NOTES),
        "original_url": f"https://harbor-notes.example.org/{external_id}",
        "published_at": "2025-11-03",
        "renditions": {
            "zh-hans": {"status": "published"},
            "en": {
                "status": "published",
                "method": "human",
                "translators": [copy.deepcopy(CHEN_XIAOYU)],
                "reviewer": copy.deepcopy(WANG_AN),
                "publisher": copy.deepcopy(LANTERN_PRESS),
                "url": f"https://lantern-press.example.com/{external_id}",
                "published_at": "2025-11-10",
            },
        },
    }
    record.update(overrides)
    return record


def chinese_only_record(external_id: str = "library-mountain", text: dict = LIBRARY) -> dict:
    """A Chinese original whose English translation does not exist yet."""
    return {
        "external_id": external_id,
        "original_language": "zh-hans",
        "title": {"zh-hans": text["title"]["zh-hans"]},
        "body": {"zh-hans": body(text, "zh-hans")},
        "authors": [copy.deepcopy(ZHAO_MING)],
        "renditions": {"zh-hans": {"status": "published"}, "en": {"status": "missing"}},
    }


def minimal_record(external_id: str = "minimal", **overrides) -> dict:
    """The smallest valid record: an English title and body for a Chinese original."""
    record: dict[str, Any] = {
        "external_id": external_id,
        "original_language": "zh-hans",
        "title": {"en": "A Small Note"},
        "body": {"en": "One short paragraph."},
    }
    record.update(overrides)
    return record


def import_record(data: dict, **kwargs) -> services.ImportOutcome:
    """Validate an interchange dict and import it through the service layer."""
    return services.article_import(record=parse_record(copy.deepcopy(data)), **kwargs)


def import_article(data: dict, **kwargs) -> Article:
    return Article.objects.get(pk=import_record(data, **kwargs).article.pk)


def piece(
    external_id: str, *, en: str = "", zh: str = "", date: str | None = None, status=None
) -> Article:
    """A piece with the given English and/or Chinese body, titled after its id (published
    unless `status` says otherwise)."""
    record: dict[str, Any] = {
        "external_id": external_id,
        "original_language": "zh-hans" if zh else "en",
        "title": {},
        "body": {},
        "published_at": date,
    }
    if en:
        record["title"]["en"], record["body"]["en"] = f"English {external_id}", en
    if zh:
        record["title"]["zh-hans"], record["body"]["zh-hans"] = f"中文{external_id}", zh
    if status:
        record["renditions"] = {code: {"status": s} for code, s in status.items()}
    return import_article(record)


def jsonl(records: list[dict | str]) -> str:
    """JSON Lines text; a `str` item is written as the raw line."""
    return "".join(
        (item if isinstance(item, str) else json.dumps(item, ensure_ascii=False)) + "\n"
        for item in records
    )


def write_jsonl(path: Path, records: list[dict | str]) -> Path:
    path.write_text(jsonl(records), encoding="utf-8")
    return path


# --- articles built through article_save ---------------------------------------------------------


def saved_article(
    external_id: str = "tea-stall",
    text: dict = TEA_STALL,
    languages: tuple[str, ...] = ("zh-hans", "en"),
    original_language: str = "zh-hans",
) -> Article:
    """An article created the way an editor creates one (services.article_save)."""
    article = Article(external_id=external_id, original_language=original_language)
    for code in languages:
        setattr(article, f"title_{code.replace('-', '_')}", text["title"][code])
        setattr(article, f"body_{code.replace('-', '_')}", body(text, code))
    services.article_save(article=article)
    return Article.objects.get(pk=article.pk)


def rendition(article: Article, language: str):
    return article.renditions.get(language=language)


# --- the seed's plain-text format ----------------------------------------------------------------

SEED_PARAGRAPHS = [
    "The harbor wakes before the city does.",
    "Fishing boats come in at four, and by five the auction hall is loud with prices.",
    "By seven the boats are washed, the nets hung, and the harbor is quiet again.",
]
SEED_LINKS = [
    ("Twitter", "https://twitter.com/LanternPressEN"),
    ("Lantern Press TG Discussion Group", "https://t.me/LanternPressChat"),
    ("Lantern Press TG Subscription", "https://t.me/lanternpress"),
]


def seed_text(
    *,
    author: str = "Lin Qiao",
    outlet: str = "Harbor Notes",
    title: str = "Morning at the Fishing Harbor",
    paragraphs: list[str] = SEED_PARAGRAPHS,
    links: list[tuple[str, str]] = SEED_LINKS,
) -> str:
    """A text in the seed's format: headers, one paragraph per line, trailing social links."""
    lines = [f"Author: {author}, {outlet}", f"Original Title: {title}", *paragraphs]
    # The seed writes some links with a space after the colon and some without.
    lines += [
        f"{label}:{url}" if i % 2 == 0 else f"{label}: {url}"
        for i, (label, url) in enumerate(links)
    ]
    return "\n".join(lines) + "\n"


# --- the WMT corpus schema -----------------------------------------------------------------------


def wmt_record(
    doc_id: str = "harbor-daily.0001",
    *,
    text: dict = FERRY,
    with_title: bool = True,
    outlet: str = "harbor-daily",
) -> dict:
    """A record in the ../shared/corpus WMT schema, with invented text.

    As in the corpus, a headline (when the heuristic found one) is also segment 0.
    """
    zh = list(text["paragraphs"]["zh-hans"])
    en = list(text["paragraphs"]["en"])
    if with_title:
        zh.insert(0, text["title"]["zh-hans"])
        en.insert(0, text["title"]["en"])
    return {
        "id": f"testset2025.zh-en.{doc_id}",
        "source_corpus": "invented test set for the Yiwen test suite",
        "test_set": "testset2025",
        "wmt_docid": doc_id,
        "origlang": "zh",
        "genre": "news",
        "outlet": outlet,
        "date": None,
        "zh_title_heuristic": text["title"]["zh-hans"] if with_title else None,
        "en_title_heuristic": text["title"]["en"] if with_title else None,
        "alignment": "segment-aligned (index i of zh_paragraphs <-> index i of en_paragraphs)",
        "segment_line_range": [1, len(zh)],
        "boundary_source": "written by hand for the tests",
        "zh_paragraphs": zh,
        "en_paragraphs": en,
    }


def search_indexes() -> dict[str, str]:
    """The article table's GIN indexes, and its RUM indexes where the server has them: name →
    definition."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'archive_article' "
            "AND (indexdef ILIKE '%USING gin%' OR indexdef ILIKE '%USING rum%')"
        )
        return dict(cursor.fetchall())
