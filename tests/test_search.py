"""Bilingual search: Chinese segmentation and normalisation, English stemming, web-search syntax,
ranking, filters, facets, highlights, the stored index, and the API's shape."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import re
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from archive import catalog
from archive import search as search_module
from archive.api import search_response
from archive.indexing import search_index_update, segmenter, stale_article_ids
from archive.interchange import parse_record
from archive.models import Article, CharacterText, Rendition, language_codes
from archive.results import page_articles
from archive.search import search
from archive.services import article_import, article_save, rendition_save, text_snapshot
from archive.snippets import find_spans
from archive.text.normalize import normalize
from archive.text.query import MAX_PHRASE_WORDS, compile_query, parse
from archive.text.segment import MAX_POSITIONS
from tests import factories as f

pytestmark = pytest.mark.django_db


def add(
    external_id,
    *,
    zh=None,
    en=None,
    published="2025-03-01",
    outlet="Harbor Daily",
    authors=("Lin Qiu",),
    translators=(),
    zh_status=None,
    en_status=None,
    summary=None,
):
    """Import a small article written for these tests; zh/en are (title, body) pairs."""
    title, body = {}, {}
    for code, pair in (("zh-hans", zh), ("en", en)):
        if pair:
            title[code], body[code] = pair
    renditions = {}
    if zh:
        renditions["zh-hans"] = {"status": zh_status or "published"}
    if en:
        renditions["en"] = {
            "status": en_status or "published",
            "translators": [{"name": {"en": t}} for t in translators],
        }
    record = {
        "external_id": external_id,
        "original_language": "zh-hans",
        "title": title,
        "body": body,
        "authors": [{"name": {"en": a}} for a in authors],
        "outlet": {"name": {"en": outlet}},
        "published_at": published,
        "renditions": renditions,
    }
    if summary:
        record["summary"] = summary
    return article_import(record=parse_record(record)).article


def ids(result):
    return [hit.article.external_id for hit in result.hits]


def search_statements(*args, **kwargs):
    """`search(*args, **kwargs)`, and the SQL of every statement it ran on this connection."""
    statements = []

    def capture(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        result = search(*args, **kwargs)
    return result, statements


@pytest.fixture
def archive():
    add(
        "defense",
        zh=("国防部长访问港口", "美国国防部长周二访问了南方港口。\n\n他说芯片供应链很重要。"),
        en=(
            "Defense secretary visits the port",
            "The US defense secretary visited the southern port on Tuesday.\n\n"
            "He said the chip supply chain matters.",
        ),
        published="2025-02-10",
    )
    add(
        "distill",
        zh=("模型蒸馏引发争议", "一家公司指控对手通过蒸馏复制其模型。"),
        en=(
            "Model distillation sparks a row",
            "A company accused a rival of copying its model through distillation.",
        ),
        published="2024-11-05",
        outlet="River Post",
        translators=("Mei Tan",),
    )
    add(
        "harbor",
        zh=("港口的早晨", "渔船在清晨回到港口，工人们开始卸货。"),
        en=None,
        published="2023-06-01",
        outlet="River Post",
        authors=("Ada Wu",),
    )
    add(
        "deepseek",
        zh=("DeepSeek融资十亿元", "人工智能公司DeepSeek宣布完成新一轮融资。"),
        en=("DeepSeek raises a billion yuan", "The AI company DeepSeek announced a new round."),
        published="2025-05-20",
    )


# --- Chinese -----------------------------------------------------------------------------------


def test_a_chinese_word_inside_a_longer_word_is_found(archive):
    # 国防 and 部长 are inside 国防部长, which precise segmentation keeps whole.
    assert ids(search("国防")) == ["defense"]
    assert ids(search("部长")) == ["defense"]


CENTRAL_BANKS = (
    "央行与立法机构",
    "中国人民银行周二宣布下调利率。\n\n美国联邦储备委员会则按兵不动，"
    "全国人民代表大会常务委员会下周开会。",
)


def test_a_dictionary_word_of_four_characters_or_more_inside_a_longer_word_is_found(archive):
    # Precise segmentation keeps 中国人民银行, 美国联邦储备委员会 and 全国人民代表大会常务委员会
    # whole; search mode's sub-words stop at three characters, so these words, each searched as
    # the word it is, used to find nothing here.
    add("banks", zh=CENTRAL_BANKS)
    for query in ("人民银行", "联邦储备委员会", "全国人民代表大会", "人民代表大会", "常务委员会"):
        result = search(query)
        assert ids(result) == ["banks"], query
        assert f"<mark>{query}</mark>" in result.hits[0].snippets["zh-hans"], query
    assert ids(search("中国人民银行")) == ["banks"]
    assert ids(search("人民银行 常务委员会")) == ["banks"]
    assert ids(search("国民银行")) == []  # not in the text: no sub-word of anything there


def test_sub_words_of_a_long_run_are_no_longer_than_the_longest_word():
    # The HMM joins unknown characters into one "word" (24 in a row here). Its sub-words are
    # looked up only up to the longest word's length — a matter of speed, which no test here
    # times; what this checks is that such a run gives no false sub-word, and that a long word
    # gives every dictionary word inside it but itself.
    seg = segmenter()
    run = "鿏鿐鿑鿒鿓鿔鿕鿖鿗鿘鿙鿚鿛鿜鿝鿞鿟鿠鿡鿢鿣鿤鿥鿦鿧鿨鿩鿪鿫鿬鿭" * 300
    words = seg.cut(run)
    assert max(map(len, words)) > 16
    assert seg.subwords(words) == []  # none of them is a word
    held = seg.subwords(["中华人民共和国全国人民代表大会"])
    assert {"中华人民共和国", "全国人民代表大会", "人民代表大会", "代表大会", "共和国"} <= set(held)
    assert "中华人民共和国全国人民代表大会" not in held  # the word itself is no sub-word


def stale_after_migration(name: str) -> set[str]:
    """Run a data migration's reindexing on an archive whose Chinese words vectors are missing
    (as one indexed before it was); the articles it left stale."""
    migration = importlib.import_module(f"archive.migrations.{name}")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE archive_article SET search_zh_hans = NULL")
    with connection.schema_editor() as editor:
        migration.reindex(None, editor)
    return {Article.objects.get(pk=pk).external_id for pk in stale_article_ids()}


def test_the_migration_reindexes_only_the_articles_with_long_sub_words(archive):
    add("banks", zh=CENTRAL_BANKS)
    left = stale_after_migration("0021_reindex_long_subwords")
    # No word of five characters or more in these: their index has not changed.
    assert left == {"defense", "distill", "harbor", "deepseek"}
    assert ids(search("人民银行")) == ["banks"]


CITY_NEWS = (
    "城市简报",
    "武汉市政府周一发布通告。北京市委书记出席会议。各区市场监管局加强检查。\n\n"
    "旅游对经济带来的影响仍在扩大，中心支行联合国家税务总局开展检查。",
)


def test_a_dictionary_word_across_the_words_of_the_text_is_found(archive):
    # The text is cut 武汉市|政府, 北京市委|书记, 市场|监管局: each query below is one
    # dictionary word, searched as that word, and none of them is a word or a sub-word of a word
    # of the text — they used to find nothing here.
    add("cities", zh=CITY_NEWS)
    for query in ("市政府", "市委书记", "市场监管"):
        result = search(query)
        assert ids(result) == ["cities"], query
        assert f"<mark>{query}</mark>" in result.hits[0].snippets["zh-hans"], query
    assert ids(search("市政府 市场监管")) == ["cities"]
    assert ids(search("市政府", sort="date")) == ["cities"]
    # Not where the word takes the first character of a word that goes with what follows it:
    # 经济|带来 is no 经济带 (an economic belt), 联合|国家税务总局 no 联合国.
    assert ids(search("经济带")) == []
    assert ids(search("联合国")) == []


def test_words_across_the_words_of_a_text_are_those_that_stand_there_as_words():
    seg = segmenter()

    def crossing(text):
        return seg.crossing(normalize(text))

    assert crossing("武汉市政府") == ["市政府"]  # 武汉市|政府: ends with a word of the text
    assert crossing("北京大兴国际机场") == ["国际机场"]  # 国际|机场: two words of it
    assert crossing("各区市场监管局") == ["市场监管"]  # 监管局 begins with the word 监管
    assert crossing("亿美元双边贸易额") == ["双边贸易"]
    assert crossing("对经济带来的负面影响") == []  # 带来: 带 goes with 来
    assert crossing("强有力的领导力量") == []
    assert crossing("中国人民银行") == []  # one word: its sub-words are `subwords`'
    assert crossing("") == [] and crossing("Pentagon") == []
    # One entry for each place, as a word of the text is; up to what a tsvector keeps of a
    # lexeme's places (a character repeated has a word across its words at nearly every one)
    assert crossing("武汉市政府和宜昌市政府") == ["市政府", "市政府"]
    repeated = crossing("哈" * 3_000)
    assert repeated and max(repeated.count(word) for word in set(repeated)) == MAX_POSITIONS


def test_the_migration_reindexes_only_the_articles_with_words_across_their_words(archive):
    add("cities", zh=CITY_NEWS)
    left = stale_after_migration("0022_reindex_crossing_words")
    seg = segmenter()
    held = {
        a.external_id
        for a in Article.objects.all()
        if any(
            seg.crossing(normalize(a.text(part, "zh-hans") or ""))
            for part in ("title", "summary", "body")
        )
    }
    assert "cities" in held and len(held) < Article.objects.count()
    assert left == {a.external_id for a in Article.objects.all()} - held
    assert ids(search("市政府")) == ["cities"]


def test_one_and_two_character_queries(archive):
    assert ids(search("美")) == ["defense"]
    assert ids(search("芯片")) == ["defense"]
    assert set(ids(search("港"))) == {"defense", "harbor"}


def test_a_substring_that_is_not_a_word_is_found_on_characters(archive):
    # 防部 is no word in any segmentation of the text, but it is in the text.
    assert ids(search("防部")) == ["defense"]


def test_traditional_script_finds_simplified_text(archive):
    assert ids(search("國防部長")) == ["defense"]
    assert ids(search("蒸餾")) == ["distill"]


def test_characters_that_simplify_into_the_cjk_extensions_are_indexed_by_character(archive):
    # t2s turns 鶗 and 鰤 into 𫛸 and 𫚕 (CJK extension C): their characters and the text around
    # them are indexed like any other, whichever script the text or the query is in.
    add("bird", zh=("鶗鴂之鳴", "春分前後，鶗鴂先鳴，漁人捕鰤魚。"))
    for query in ("𫛸", "鶗", "鶗鴂", "捕鰤", "𫚕鱼", "鴂先"):
        assert ids(search(query)) == ["bird"], query
    assert "<mark>鶗</mark>" in search("鶗").hits[0].snippets["zh-hans"]


def test_the_migration_reindexes_only_the_articles_with_extension_characters(archive):
    migration = importlib.import_module("archive.migrations.0017_reindex_cjk_extension_characters")
    add("bird", zh=("鶗鴂之鳴", "春分前後，鶗鴂先鳴。"))
    add("fish", zh=("鱼市", "渔人捕𫚕鱼。"))
    with connection.cursor() as cursor:  # as an archive indexed before the migration was
        cursor.execute("UPDATE archive_article SET search_chars_zh_hans = NULL")
    stale = set(stale_article_ids())
    assert len(stale) == Article.objects.count()
    with connection.schema_editor() as editor:
        migration.reindex(None, editor)
    left = {Article.objects.get(pk=pk).external_id for pk in stale_article_ids()}
    assert left == {"defense", "distill", "harbor", "deepseek"}
    assert ids(search("鶗")) == ["bird"]
    assert ids(search("𫚕")) == ["fish"]


def test_full_width_latin_and_case_are_normalised(archive):
    assert ids(search("ＤＥＥＰＳＥＥＫ")) == ["deepseek"]
    assert ids(search("deepseek")) == ["deepseek"]


def test_mixed_script_query(archive):
    assert ids(search("DeepSeek 融资")) == ["deepseek"]
    assert ids(search("DeepSeek融资")) == ["deepseek"]
    assert ids(search("DeepSeek 港口")) == []


def test_an_unquoted_sentence_keeps_its_punctuation_between_single_characters(archive):
    # 了 and 他 are single characters with a full stop between them in the query: each its own
    # string (了; 他说), not the string 了他说, which no text has.
    assert ids(search("周二访问了。他说")) == ["defense"]
    assert ids(search("周二访问了他说")) == []  # side by side, they are one string


def test_a_character_left_alone_at_the_end_of_a_query_run_stays_with_its_neighbour(archive):
    """The segmenter cuts 防部长 into 防|部长 and 埃斯珀 (a name it does not know) into 埃斯|珀:
    the lone character is the rest of a word that the query cut, so the run is that string,
    not the character anywhere beside the word anywhere ("apart" has 防部 and 部长, 埃斯 inside
    埃斯特 and 珀 inside 琥珀). A character between two words is still a word of its own."""
    apart = ("发布会", "国防部发言人埃斯特说，部长收到了一块琥珀。")
    add("apart", zh=apart, published="2025-04-01")
    add("esper", zh=("会晤", "国防部长埃斯珀周二会见了记者。"), published="2024-01-01")
    assert segmenter().cut("防部长") == ["防", "部长"]
    assert segmenter().cut("埃斯珀") == ["埃斯", "珀"]
    assert set(ids(search("防部长"))) == {"defense", "esper"}
    assert ids(search("埃斯珀")) == ["esper"]
    assert ids(search("部长埃斯珀")) == ["esper"]
    assert ids(search("发言人说部长")) == ["apart"]  # 说 between two words: anywhere
    (hit,) = search("埃斯珀").hits
    assert "<mark>埃斯珀</mark>" in hit.snippets["zh-hans"]


def test_chinese_phrase(archive):
    assert ids(search('"周二国防部长"')) == []  # both in the text, not in this order
    assert ids(search('"国防部长周二"')) == ["defense"]
    assert ids(search('"美国国防部长"')) == ["defense"]
    assert ids(search('"供应链很重要"')) == ["defense"]


def test_a_quoted_chinese_string_of_one_word_or_none_is_found_wherever_it_stands(archive):
    """A quoted string of Chinese characters is found in every text that holds it, as it is
    unquoted: one character (务 of 国务院), a string that rjieba's HMM takes for a word of its own
    when it is the whole query (务院, 空系, 片战: no text has them as words), and a dictionary
    word where the text's segmentation cut elsewhere (部长 of 全部|长期)."""
    add(
        "council",
        zh=("国务院常务会议", "会议讨论了航空系统和鸦片战争的史料，全部长期保存。"),
        published="2025-04-01",
    )
    assert segmenter().cut("务院") == ["务院"] and not segmenter().is_word("务院")
    assert "部长" not in segmenter().cut("全部长期保存")
    for query in ("务", "院", "务院", "空系", "片战", "部长"):
        unquoted = ids(search(query))
        assert "council" in unquoted, query
        for quoted in (f'"{query}"', f"“{query}”", f"「{query}」"):
            assert ids(search(quoted)) == unquoted, quoted
    # The word ranks above the string inside other words ("defense" has 部长 inside 国防部长).
    assert ids(search('"部长"')) == ["defense", "council"]
    assert ids(search('"务" -"院"')) == []


def test_a_long_pasted_chinese_sentence_is_found_by_its_runs_of_characters(archive):
    """A quoted sentence with its punctuation (more than MAX_PHRASE_WORDS words): each run of
    characters is an exact string, wherever the text's segmentation cuts — even where the
    selection ends inside a word (芯片供 of 芯片供应链)."""
    pasted = "美国国防部长周二访问了南方港口。他说芯片供"
    assert len(segmenter().cut(pasted)) > MAX_PHRASE_WORDS
    assert ids(search(f'"{pasted}"')) == ["defense"]
    assert ids(search('"渔船在清晨回到港口，工人们开始卸货"')) == ["harbor"]
    # Each run must be there as it is: the runs of two articles together find neither.
    assert ids(search('"美国国防部长周二访问了南方港口，工人们开始卸货"')) == []
    match = compile_query(parse(f'"{pasted}"'), segmenter())
    assert match.op == "chars" and "'国防' <2> '防部'" in match.text and ") & (" in match.text
    # A short phrase keeps its words' order across the punctuation.
    assert compile_query(parse('"港口，工人"'), segmenter()).op == "words"


def test_a_quoted_chinese_phrase_with_spaces_is_found_across_punctuation(archive):
    """Runs of characters quoted with a space between are found side by side as written or,
    as words side by side, across the punctuation between them: as "港口，工人" is, and as a
    phrase of English words is; the snippet marks what it found."""
    assert ids(search('"港口，工人们"')) == ["harbor"]
    for query in ('"港口 工人们"', '"回到 港口 工人们"', '"港口 工人们开始"'):
        assert ids(search(query)) == ["harbor"], query
    assert ids(search('"工人们 港口"')) == []  # in this order only
    assert ids(search('"港口工人们"')) == []  # written together: the characters as written
    snippet = search('"港口 工人们"').hits[0].snippets["zh-hans"]
    assert "<mark>港口，工人们</mark>" in snippet


def test_a_repeated_term_is_searched_once(archive):
    once = compile_query(parse("港口 OR 芯片"), segmenter())
    assert compile_query(parse("港口 OR 芯片 OR 港口 OR 芯片 OR 港口"), segmenter()) == once
    assert compile_query(parse("港口 芯片 港口"), segmenter()) == compile_query(
        parse("港口 芯片"), segmenter()
    )
    assert set(ids(search("港口 OR 芯片 OR 港口"))) == {"defense", "harbor"}


def test_chinese_phrases_are_checked_in_the_versions_character_texts(archive):
    """A phrase of characters is found by its pairs in the characters vector's GIN index and
    checked in the version's CharacterText (its CJK runs, a line per slot); an article without
    one (indexed before migration 0016) is checked in the vector: the same answers."""
    defense = Article.objects.get(external_id="defense")
    texts = dict(
        CharacterText.objects.filter(article=defense).values_list("language", "characters")
    )
    assert set(texts) == {"zh-hans", "en"}
    title, middle, body = texts["zh-hans"].split("\n")
    assert title == "国防部长访问港口" and body.startswith("美国国防部长周二访问了南方港口 他说")
    queries = {
        '"周二国防部长"': [],
        '"国防部长周二"': ["defense"],
        '"美国国防部长"': ["defense"],
        '"供应链很重要"': ["defense"],
        '"港口美国"': [],  # the title's end and the body's start: two slots
        '"南方港口他说"': [],  # two runs (a full stop and a paragraph between)
        '"清晨回到港口" "卸货"': ["harbor"],
        '"清晨回到港口" -"开始卸货"': [],
    }
    for query, expected in queries.items():
        assert ids(search(query)) == expected, query
    # The text is what is read: without it, the phrase is not found …
    CharacterText.objects.filter(article=defense).update(characters="")
    assert ids(search('"国防部长周二"')) == []
    # … and without a row, the vector answers.
    CharacterText.objects.filter(article=defense).delete()
    for query, expected in queries.items():
        assert ids(search(query)) == expected, query
    with pytest.raises(CommandError, match="1 of 4"):
        call_command("reindex", "--check", "--no-progress")
    # Only the character texts (no vector rewritten), as `language_texts` makes them.
    call_command("reindex", "--characters", "--no-progress")
    call_command("reindex", "--check", "--no-progress")
    assert CharacterText.objects.filter(article=defense).count() == 2


def test_character_phrases_of_a_tsquery():
    phrases = search_module._character_phrases
    assert phrases("'国防' <2> '防部' <2> '部长'") == ("'国防' & '防部' & '部长'", ["国防部长"])
    assert phrases("('港口' <2> '口美') & ('卸')") == ("'港口' & '口美' & '卸'", ["港口美"])
    assert phrases("'国防'") is None  # no phrase: the GIN index answers it exactly
    assert phrases("('国防' <2> '防部') | ('港')") is None
    assert phrases("!('国防' <2> '防部')") is None
    assert phrases("'国防' <2> '港口'") is None  # not a string's pairs


def test_a_version_that_is_unpublished_loses_its_character_text(archive):
    harbor = Article.objects.get(external_id="harbor")
    assert CharacterText.objects.filter(article=harbor).count() == 1
    rendition = harbor.renditions.get(language="zh-hans")
    rendition.status = "draft"
    rendition_save(rendition=rendition)
    assert not CharacterText.objects.filter(article=harbor).exists()
    assert ids(search('"清晨回到港口"')) == []


# --- English -----------------------------------------------------------------------------------


def test_english_phrases_use_the_word_pairs_index(archive):
    add("apart", en=("Chain of events", "The supply was short; a chain broke."), zh=None)
    add("three", en=("Long phrase", "Chips for the global supply chain market."), zh=None)
    # "supply chain": adjacent in defense and three, both words but apart in "apart".
    assert set(ids(search('"supply chain"'))) == {"defense", "three"}
    assert ids(search('"global supply chain"')) == ["three"]
    assert ids(search('"supply chain" -market')) == ["defense"]
    assert set(ids(search('"supply chain" OR broke'))) == {"defense", "three", "apart"}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT yiwen_word_pairs(to_tsvector('english', 'the supply chains broke at a port'))"
        )
        assert cursor.fetchone()[0] == "'broke 3 port' 'chain broke' 'suppli chain'"


def test_a_phrase_is_checked_only_on_the_rows_its_word_pairs_find(archive):
    """A phrase of English words beside its word pairs is no condition for the words' GIN
    index (which gives every article with its words, each vector read for the positions): the
    pairs' index finds the candidates. Where no pairs index is (the Chinese versions), the
    phrase is the words index's condition, as before."""
    add("three", en=("Long phrase", "Chips for the global supply chain market."), zh=None)
    seg = segmenter()
    cases = (
        ('"global supply chain"', True, {"three"}),
        ('"supply chain"', False, {"defense", "three"}),
    )
    for q, pre_filtered, found in cases:
        full = compile_query(parse(q), seg)
        positive = compile_query(parse(q), seg, exclusions=False)
        with connection.cursor() as cursor:
            query, _ = search_module.Query.prepare(cursor, language_codes(), full, positive)
        english, _params = query.match("en")
        assert ("coalesce(a.search_en @@" in english) is pre_filtered, q  # (one pair: exact)
        assert "yiwen_word_pairs(a.search_en) @@" in english
        chinese, _params = query.match("zh-hans")
        assert "coalesce(" not in chinese and "search_zh_hans" in chinese  # (GIN or RUM)
        assert set(ids(search(q))) == found


def test_english_phrases_with_stop_words_use_the_word_pairs_index(archive):
    add("gap", en=("Ports", "Prices of the port rose; a port of the prices fell."), zh=None)
    assert ids(search('"prices of the port"')) == ["gap"]
    assert ids(search('"port of the prices"')) == ["gap"]
    assert ids(search('"port of prices"')) == []  # one stop word, not two
    assert ids(search('"price in the port"')) == ["gap"]  # stop words are not told apart


def test_a_latin_phrase_in_a_chinese_version_is_found_without_the_pairs_index(archive):
    add("latin", zh=("开放模型", "公司发布了Open Weights模型。"), en=None)
    assert ids(search('"open weights"')) == ["latin"]


def test_words_of_host_names_and_paths_are_found(archive):
    add("visa", zh=("电子签证", "可以通过visa.visitsaudi.com申请电子签。"),
        en=("E-visas", "Apply at visa.visitsaudi.com, say bloggers/weblebrities."))  # fmt: skip
    assert ids(search("visitsaudi")) == ["visa"]
    assert ids(search("visitsaudi.com")) == ["visa"]
    assert ids(search("weblebrities")) == ["visa"]
    assert ids(search("visitsaudi", lang="zh-hans")) == ["visa"]
    assert "<mark>visitsaudi</mark>" in search("visitsaudi").hits[0].snippets["en"]


def test_english_stemming(archive):
    assert ids(search("distilled")) == ["distill"]
    assert ids(search("distillation")) == ["distill"]
    assert ids(search("visiting")) == ["defense"]


@pytest.fixture
def names(archive):
    add("sacks", zh=None, en=("Adviser speaks", "David Sacks said the plan would work."))
    add("layoffs", zh=None, en=("Layoffs", "The sacking of workers went on.\n\nIt hurt us all."))
    add("who", zh=None, en=("Health agency warns", "The WHO warned of a new virus in the U.S."))
    add("question", zh=None, en=("A question", "Who knows? It is the US that decides."))
    add("apple", zh=("Apple发布新手机", "苹果公司Apple周二发布新款iPhone。"), en=None)


def test_a_word_written_with_a_capital_is_a_name_matched_as_written(names):
    assert ids(search("Sacks")) == ["sacks"]
    assert set(ids(search("sacks"))) == {"sacks", "layoffs"}  # lower case: stemmed as before
    assert set(ids(search("sacking"))) == {"sacks", "layoffs"}
    assert ids(search("David Sacks")) == ["sacks"]
    assert ids(search("Sacking")) == []  # a name: the text has the word in lower case
    # in a Chinese text, and inside a longer run of capitals and letters
    assert ids(search("Apple")) == ["apple"]
    assert (
        search("Apple").hits[0].snippets["zh-hans"]
        == "苹果公司<mark>Apple</mark>周二发布新款iPhone。"
    )
    assert ids(search("iPhone")) == ["apple"]
    assert ids(search("IPHONE")) == ["apple"]  # longer than an acronym: a name in capitals


def test_acronyms_are_found_though_stop_words_or_pronouns(names):
    assert ids(search("WHO")) == ["who"]  # not "Who knows?", though `who` is a stop word
    assert search("who").count == 0
    # U.S. and US, not "us"
    assert set(ids(search("US"))) == {"who", "question", "defense"}
    assert set(ids(search("U.S."))) == {"who", "question", "defense"}
    assert ids(search("IT")) == []  # "It hurt", "It is": not the acronym
    assert set(ids(search("It"))) == {"layoffs", "question"}
    assert ids(search("WHO -virus")) == []
    assert ids(search("virus -WHO")) == []
    assert set(ids(search("WHO OR Sacks"))) == {"who", "sacks"}


def test_and_is_what_a_space_is(names):
    assert ids(search("David AND Sacks")) == ["sacks"]


def test_a_name_written_beside_chinese_is_a_name(names):
    add("apples", zh=("水果", "apples发布了新的价格。"), en=None)
    assert ids(search("Apple发布")) == ids(search("Apple 发布")) == ["apple"]
    assert set(ids(search("apple发布"))) == {"apple", "apples"}  # lower case: stemmed
    assert "<mark>Apple</mark>" in search("Apple发布").hits[0].snippets["zh-hans"]


def test_names_are_marked_as_written(names):
    hit = search("Sacks").hits[0]
    assert "<mark>Sacks</mark>" in hit.snippets["en"]
    marked = search("US").hits
    snippets = {h.article.external_id: h.snippets["en"] for h in marked}
    assert "<mark>U.S.</mark>" in snippets["who"]
    assert "the <mark>US</mark> that" in snippets["question"]
    layoffs = search("sacks").hits
    assert all("<mark>" in h.snippets["en"] for h in layoffs)
    # the first paragraph has only the pronoun: the snippet is the paragraph with the acronym
    add("tariffs", zh=None, en=("Trade", "They told us little.\n\nThe US raised tariffs."))
    hit = search("US tariffs").hits[0]
    assert hit.snippets["en"] == "The <mark>US</mark> raised <mark>tariffs</mark>."
    hit = next(h for h in search("US").hits if h.article.external_id == "tariffs")
    assert hit.snippets["en"] == "The <mark>US</mark> raised tariffs."  # one term: read on
    add("dotted", zh=None, en=("Trade", "No word here.\n\nThe U.S. raised duties."))
    hit = next(h for h in search("US").hits if h.article.external_id == "dotted")
    assert hit.snippets["en"] == "The <mark>U.S.</mark> raised duties."
    # whole words only, looked for past a hit inside a word; a Chinese character ends a word
    names = frozenset({"0apple", "1us"})
    text = "Pineapple, Apple发布 and apples; USB, U.S. and US."
    marked = [text[a:b] for a, b in find_spans(text, [], set(), names)]
    assert marked == ["Apple", "U.S.", "US"]


def test_name_lexemes_make_no_word_pairs(names):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM archive_article, unnest(yiwen_word_pairs(search_en)) p "
            "WHERE p.lexeme ~ '(^| )[01][a-z]'"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT count(*) FROM archive_article, unnest(search_en) p WHERE p.lexeme = '0sacks'"
        )
        assert cursor.fetchone()[0] == 1
    assert list(stale_article_ids()) == []


def test_the_migration_reindexes_the_articles_with_names(names):
    migration = importlib.import_module("archive.migrations.0020_reindex_name_lexemes")
    add("lower", zh=None, en=("lower case only", "nothing here is written with a capital."))
    with connection.cursor() as cursor:  # as an archive indexed before the migration was
        cursor.execute("UPDATE archive_article SET search_en = NULL")
    with connection.schema_editor() as editor:
        migration.reindex(None, editor)
    left = {Article.objects.get(pk=pk).external_id for pk in stale_article_ids()}
    assert left == {"lower", "harbor"}  # no capital in them: not rebuilt
    assert ids(search("Sacks")) == ["sacks"]


def test_english_phrase_and_stop_words(archive):
    assert ids(search('"supply chain"')) == ["defense"]
    assert ids(search('"chain supply"')) == []
    result = search("the of and")
    assert result.count == 0 and result.messages


def test_or_and_exclude(archive):
    assert set(ids(search("distillation OR 渔船"))) == {"distill", "harbor"}
    assert ids(search("港口 -渔船")) == ["defense"]
    assert ids(search("company -rival")) == ["deepseek"]


def test_exclusions_beside_alternatives(archive):
    assert set(ids(search("(港口 OR 蒸馏) -渔船"))) == {"defense", "distill"}
    assert set(ids(search("port OR distillation -rival"))) == {"defense"}
    assert set(ids(search("港 -渔船"))) == {"defense"}  # a character beside a word's exclusion


@pytest.mark.parametrize(
    "q, rows_only",
    [
        ("authors -market", 0),  # 'authors' & !'market': the index answers the exclusion
        ("port OR 港 -chip", 1),  # !'chip' beside an OR of two slots: alone
        ("the 港 -chip", 1),  # 'the' & !'chip', and 'the' is a stop word
        ("the port -chip", 0),
        ("港口 -扩建", 0),  # a Chinese word's exclusion is a NOT of its word and characters
        ('"国防部长" -访问', 0),
    ],
)
def test_no_index_is_asked_for_a_tsquery_without_a_term_it_must_have(db, q, rows_only):
    """A negation alone in a tsquery (!'扩建'; 'the' & !'chip' once the stop word is gone)
    makes an index read all of itself, and RUM's crashes the server process on it (every
    connection with it): such a leaf is tested on rows, never an index condition."""
    seg = segmenter()
    full, positive = compile_query(parse(q), seg), compile_query(parse(q), seg, exclusions=False)
    with connection.cursor() as cursor:
        query, _fingerprint = search_module.Query.prepare(cursor, language_codes(), full, positive)
        leaves = list(search_module._leaves(query.full))
        for leaf in leaves:
            cursor.execute("SELECT querytree(to_tsquery('english', %s)) = 'T'", [leaf.text])
            assert leaf.indexable is not cursor.fetchone()[0], leaf
            for code in language_codes():
                sql, _params = search_module._render(leaf, code)
                assert sql.startswith("coalesce(") is not leaf.indexable
    assert sum(not leaf.indexable for leaf in leaves) == rows_only
    assert search_module._excludes(query.full)


def test_query_in_one_language_finds_the_piece_in_the_other_language_version(archive):
    # The Chinese-only piece is found by its Chinese text; the bilingual ones by either.
    assert ids(search("卸货")) == ["harbor"]
    assert ids(search("secretary")) == ["defense"]


def test_terms_held_by_different_versions_find_the_piece_when_no_version_holds_all(
    archive, monkeypatch
):
    """A piece is one text in two languages: where no version holds every term of a query of
    several (the name in the English text, the Chinese name in the Chinese one), the pieces
    whose versions hold them together are the answer, said to be so."""
    add(
        "motegi",
        zh=("外相访问北京", "茂木外相周二抵达北京。"),
        en=("Foreign minister visits Beijing", "Foreign Minister Motegi arrived on Tuesday."),
        en_status="draft",
    )
    assert ids(search("Motegi 茂木")) == []  # the English version is not published
    rendition = Rendition.objects.get(article__external_id="motegi", language="en")
    rendition.status = "published"
    rendition_save(rendition=rendition)
    result = search("Motegi 茂木")
    assert ids(result) == ["motegi"]
    assert (result.count, result.count_is_estimate, result.plan) == (1, False, "across-versions")
    assert result.messages == [str(search_module.MESSAGES["across_versions"])]
    assert {e["value"]: e["count"] for e in result.facets["outlet"]} == {"harbor-daily": 1}
    snippets = result.hits[0].snippets
    assert "<mark>茂木</mark>" in snippets["zh-hans"] and "<mark>Motegi</mark>" in snippets["en"]
    assert result.hits[0].score > 0
    assert ids(search("Motegi 茂木", sort="date")) == ["motegi"]
    # More matches than FACET_ROWS: newest first, from the date index; the count of a short
    # page exact.
    monkeypatch.setattr(search_module, "FACET_ROWS", 0)
    result = search("Motegi 茂木")
    assert ids(result) == ["motegi"] and result.plan == "across-versions-by-date"
    assert (result.count, result.count_is_estimate) == (1, False)
    monkeypatch.undo()
    # Where some version holds every term, those pieces alone (港口 and 卸货: the harbor's).
    result = search("港口 卸货")
    assert ids(result) == ["harbor"] and result.plan != "across-versions" and not result.messages
    # An excluded term is then excluded from every version, whichever holds it.
    assert ids(search("Motegi 茂木 -Tuesday")) == ids(search("Motegi 茂木 -北京")) == []
    assert ids(search("Motegi 茂木 -港口")) == ["motegi"]
    # and, as everywhere, a glossary term's rendering in the other language with it.
    from archive.models import GlossaryTerm

    assert ids(search("Motegi 茂木 -星期二")) == ["motegi"]
    GlossaryTerm.objects.create(zh="星期二", en="Tuesday")
    assert ids(search("Motegi 茂木 -星期二")) == []
    # One language searched: one version, nothing across. A term no version has: nothing.
    assert ids(search("Motegi 茂木", lang="en")) == []
    assert ids(search("Motegi 茂木 卸货")) == []
    payload = search_response({"q": "Motegi 茂木"})
    assert payload["messages"] == [str(search_module.MESSAGES["across_versions"])]
    assert [r["external_id"] for r in payload["results"]] == ["motegi"]


def test_an_excluded_term_in_any_version_excludes_the_piece(archive, monkeypatch):
    """A piece is one text in two languages: `Qorvane -融资` leaves out the piece whose Chinese
    version has 融资 though its English version (which has no 融资) holds Qorvane; with `lang`
    only that version is searched, and its exclusions are its own."""
    add(
        "funding",
        zh=("Qorvane融资", "Qorvane完成新一轮融资。"),
        en=("Qorvane raises money", "Qorvane closed a new round on Tuesday."),
    )
    add(
        "model",
        zh=("Qorvane发布模型", "Qorvane发布了新模型。"),
        en=("Qorvane releases a model", "Qorvane released a new model."),
    )
    assert set(ids(search("Qorvane"))) == {"funding", "model"}
    assert ids(search("Qorvane -融资")) == ["model"]  # the English version matched, too
    assert ids(search("Qorvane -Tuesday")) == ["model"]  # and the Chinese one
    assert ids(search("Qorvane -融资 -发布")) == []
    # A Chinese word beside an English exclusion (a negation alone on the words, tested on rows
    # but for the listing's list).
    assert "funding" in ids(search("融资")) and "funding" not in ids(search("融资 -Tuesday"))
    assert set(ids(search("Qorvane -港口"))) == {"funding", "model"}
    assert set(ids(search("Qorvane -融资", lang="en"))) == {"funding", "model"}
    assert ids(search("Qorvane -融资", lang="zh-hans")) == ["model"]
    assert search_response({"q": "Qorvane -融资"})["count"] == 1
    # The listing tests the other versions against a list of the articles holding the term;
    # the plans that test rows (a walk of the date index, RUM's order) read them.
    for name in ("HUGE", "EXACT_COUNT_WITH_RUM", "RUM_MAX", "RANK_ALL"):
        monkeypatch.setattr(search_module, name, 0)
    assert ids(search("Qorvane -融资")) == ["model"]
    assert ids(search("Qorvane -融资", sort="date")) == ["model"]
    monkeypatch.undo()
    # As a glossary term finds its rendering in the other language, excluding it excludes that.
    from archive.models import GlossaryTerm

    add("english-only", en=("Qorvane funding", "Qorvane raised new funding."))
    assert "english-only" in ids(search("Qorvane -融资"))
    GlossaryTerm.objects.create(zh="融资", en="funding")
    assert "english-only" in ids(search("融资"))
    assert ids(search("Qorvane -融资")) == ["model"]
    for name in ("HUGE", "EXACT_COUNT_WITH_RUM", "RUM_MAX", "RANK_ALL"):
        monkeypatch.setattr(search_module, name, 0)
    assert ids(search("Qorvane -融资")) == ["model"]
    # (the English versions only: the funding piece's says nothing of funding)
    assert set(ids(search("Qorvane -融资", lang="en"))) == {"model", "funding"}
    monkeypatch.undo()
    assert set(ids(search("Qorvane -融资", lang="en"))) == {"model", "funding"}
    GlossaryTerm.objects.all().delete()
    # A draft's words exclude nothing: they are not in the index (nor to be guessed at).
    rendition = Rendition.objects.get(article__external_id="funding", language="zh-hans")
    rendition.status = "draft"
    rendition_save(rendition=rendition)
    assert set(ids(search("Qorvane -融资"))) == {"funding", "model", "english-only"}


def test_an_excluded_term_far_commoner_than_the_matches_is_tested_on_their_rows(
    archive, monkeypatch
):
    """Where ANALYZE counts an excluded term in many articles (中国 in nine in ten), the
    listing's list of the articles holding it is made of the query's own candidates, each
    tested in its rows, where they are few enough (`exclusion_candidates`): listing every
    article with 中国 took ~250 ms at 200,000 articles, whatever the query. Beyond that many
    candidates, or for a phrase, the whole list, as before; the pages are the same."""
    add(
        "funding",
        zh=("Qorvane融资", "Qorvane完成新一轮融资。"),
        en=("Qorvane raises money", "Qorvane closed a new round on Tuesday."),
    )
    add(
        "model",
        zh=("Qorvane发布模型", "Qorvane发布了新模型。"),
        en=("Qorvane releases a model", "Qorvane released a new model."),
    )
    add("english-only", en=("Qorvane funding", "Qorvane raised new funding."))
    queries = [
        ("Qorvane -融资", {}),
        ("Qorvane -Tuesday", {}),
        ("Qorvane -融资 -发布", {}),
        ("Qorvane -融", {}),  # a character
        ("融资 -Tuesday", {}),
        ("Qorvane -融资", {"lang": "en"}),
        ("Qorvane -融资", {"lang": "zh-hans"}),
        ("Qorvane -融资", {"outlet": "harbor-daily"}),
        ("港口 -芯片", {}),
    ]

    def run(query, kwargs):
        result, statements = search_statements(query, **kwargs)
        restricted = any("WITH c AS MATERIALIZED" in sql for sql in statements)
        return restricted, (ids(result), result.count, result.facets)

    whole = {}
    for query, kwargs in queries:
        restricted, whole[query, str(kwargs)] = run(query, kwargs)
        assert not restricted  # nothing counted: the whole list
    assert set(whole["Qorvane -融资", "{}"][0]) == {"model", "english-only"}
    assert set(whole["Qorvane -融", "{}"][0]) == {"model", "english-only"}
    for limit in (1_000, 1):  # the candidates tested, or too many for that: the whole list
        monkeypatch.setattr(search_module, "exclusion_candidates", lambda query, n=limit: n)
        for query, kwargs in queries:
            restricted, found = run(query, kwargs)
            assert restricted and found == whole[query, str(kwargs)], (query, kwargs, limit)
        # The plans that test rows (the date index's walk, RUM's order) test them the same.
        for name in ("HUGE", "EXACT_COUNT_WITH_RUM", "RUM_MAX", "RANK_ALL"):
            monkeypatch.setattr(search_module, name, 0)
        assert set(ids(search("Qorvane -融资"))) == {"model", "english-only"}
        assert set(ids(search("Qorvane -融资", sort="date"))) == {"model", "english-only"}
        monkeypatch.undo()


def test_a_sample_tests_its_rows_for_a_common_excluded_term(archive, monkeypatch):
    """Where an excluded term is common and the query's own candidates are not few, a sample of
    the matches (before a listing, or the facets' of a huge result set) tests its rows for it
    (`Query.sample_tests_excluded`) instead of reading the list of every article that holds it,
    which grows with the archive (美国: 15,664 articles at 20,000). The list is still made
    where the sample finds few matches and the listing's parts read it; the answers are the
    same."""
    add(
        "funding",
        zh=("Qorvane融资", "Qorvane完成新一轮融资，港口也受益。"),
        en=("Qorvane raises money", "Qorvane closed a new round on Tuesday."),
    )
    add("english-only", en=("Qorvane funding", "Qorvane raised new funding at the port."))
    queries = [
        ("港口 -芯片", {}),
        ("港口 -融资", {}),
        ("Qorvane -融资", {}),
        ("Qorvane -Tuesday", {"lang": "en"}),
        ("港口 -芯片 -渔船", {"outlet": "river-post"}),
        ("port -chip", {}),
    ]

    def run(query, kwargs):
        result, statements = search_statements(query, **kwargs)
        pattern = r"(?:WITH|,) s AS MATERIALIZED \((.*?) LIMIT %s\)"
        samples = [found[1] for sql in statements if (found := re.search(pattern, sql))]
        return samples, (sorted(ids(result)), result.count, result.facets)

    for huge in (search_module.HUGE, 0):  # a sample before the listing; the facets' only
        monkeypatch.setattr(search_module, "HUGE", huge)
        before = {}
        for query, kwargs in queries:
            samples, before[query, str(kwargs)] = run(query, kwargs)
            assert all("NOT coalesce" not in sample for sample in samples), query
        monkeypatch.setattr(search_module, "exclusion_row_budget", lambda query: 1_000)
        monkeypatch.setattr(search_module, "exclusion_candidates", lambda query: 0)
        sampled = 0
        for query, kwargs in queries:
            samples, found = run(query, kwargs)
            assert found == before[query, str(kwargs)], (query, kwargs, huge)
            for sample in samples:  # (Qorvane -Tuesday in English: in the tsquery itself)
                assert search_module.EXCLUDED_CTE not in sample, (query, kwargs, huge)
                sampled += "NOT coalesce" in sample
        assert sampled >= 3
        monkeypatch.undo()
    assert sorted(ids(search("港口 -融资"))) == ["defense", "harbor"]


def test_a_date_page_of_an_exclusion_walks_the_date_index(archive, monkeypatch):
    """A page newest first of a query with an excluded term walks the date index, testing each
    row, even with fewer matches than HUGE, where the matches' share of the archive says a walk
    finds the page in its budget (`_walk_excluding`): the newest year's matches would each be
    tested anyway. Where it finds fewer, the years, as before; the pages are the same."""
    add("harbor-2", zh=("港口新闻", "港口今天很忙。"), published="2025-07-01")
    add("harbor-3", zh=("港口与芯片", "港口运来了芯片。"), published="2025-08-01")
    queries = [("港口 -芯片", {}), ("港口 -芯片", {"page_size": 1}), ("港口 -芯片", {"page": 2})]

    def run(query, kwargs):
        result, statements = search_statements(query, sort="date", **kwargs)
        return any(") w WHERE hit LIMIT" in sql for sql in statements), (ids(result), result.count)

    # Listings cut at one match: the count an estimate, as of a few thousand matches.
    monkeypatch.setattr(search_module, "EXACT_COUNT", 0)
    monkeypatch.setattr(search_module, "EXACT_COUNT_WITH_RUM", 0)
    before = {}
    for query, kwargs in queries:
        walked, before[query, str(kwargs)] = run(query, kwargs)
        assert not walked
    assert before["港口 -芯片", "{}"][0] == ["harbor-2", "harbor"]
    monkeypatch.setattr(search_module, "archive_rows", lambda: 4)
    for query, kwargs in queries:
        walked, found = run(query, kwargs)
        assert walked and found == before[query, str(kwargs)], (query, kwargs)
    # Too few matches for the archive's size: no walk.
    monkeypatch.setattr(search_module, "archive_rows", lambda: 10_000_000)
    assert run("港口 -芯片", {}) == (False, before["港口 -芯片", "{}"])


def test_exclusion_candidates_follow_what_analyze_counted(monkeypatch):
    """How many candidates are tested row by row: the excluded terms' articles as ANALYZE
    counted them (the most of an OR's terms), over what a row's test costs in listed articles;
    0 where that is few, where the query's own words are counted as commoner, or where the query
    has a phrase."""
    lexemes = {"zh-hans": {"中国": 19_000, "技术": 9_000}, "en": {"china": 8_000}}
    characters = {"zh-hans": {"中国": 19_500, "美": 5_000}, "en": {}}
    monkeypatch.setattr(search_module, "common_lexemes", lambda: lexemes)
    monkeypatch.setattr(search_module, "common_characters", lambda: characters)
    from archive.text.query import any_of, chars, words

    def candidates(full, excluded, lexemes_text="'snow'", parsed=None):
        query = search_module.Query(
            ["zh-hans", "en"], full, full, excluded=excluded, lexemes=lexemes_text
        )
        query.parsed = parsed or {}
        return search_module.exclusion_candidates(query)

    cost = search_module.EXCLUSION_ROW_COST
    excluded = any_of([words("'中国'"), chars("'中国'")])
    assert candidates(words("'snow'"), excluded) == 19_500 // cost
    # An English word counted by its stem, as PostgreSQL reads it.
    assert candidates(words("'snow'"), words("'China'"), parsed={"'China'": "'china'"}) == (
        8_000 // cost
    )
    assert candidates(words("'snow'"), words("'unknown'")) == 0  # not counted: a short list
    assert candidates(words("'snow'"), words("'技术' & '中国'")) == 0  # nothing known of both
    assert candidates(words("'技术'"), excluded, "'技术'") == 0  # the query's words commoner
    assert candidates(chars("'美'"), excluded, "") == 0  # … or its characters
    assert candidates(chars("'技'"), excluded, "") == 19_500 // cost  # (not counted)
    assert candidates(chars("'没有' <2> '有中'"), excluded) == 0  # a phrase
    assert candidates(words("'snow'"), None) == 0
    tokens = search_module.tsquery_tokens("'a' | 'b' & 'c' | !'d'")
    counts = {"a": 5, "b": 7, "c": 9, "d": 11}.get
    assert search_module._tsquery_matches(tokens, counts) == 12  # 5 + min(7, 9)
    assert search_module._tsquery_matches(tokens, counts, lower=True) == 5


def test_a_sample_tests_rows_where_enough_matches_are_left_to_find(monkeypatch):
    """A sample tests its rows for the excluded terms where the rows it must read to find
    FACET_ROWS matches without them (at the odds ANALYZE's counts give, each term a test) cost
    less than listing every article holding one; else it reads that list."""
    lexemes = {
        "zh-hans": {"中国": 190_000, "美国": 156_000, "经济": 120_000},
        "en": {"china": 80_000},
    }
    monkeypatch.setattr(search_module, "common_lexemes", lambda: lexemes)
    monkeypatch.setattr(search_module, "common_characters", lambda: {"zh-hans": {}, "en": {}})
    monkeypatch.setattr(search_module, "archive_rows", lambda: 200_000)
    from archive.text.query import any_of, chars, words

    def decide(excluded, candidates=0):
        query = search_module.Query(
            ["zh-hans", "en"], words("'发展'"), words("'发展'"), excluded=excluded
        )
        query.exclusion_candidates = candidates
        # (each leaf's tsquery as PostgreSQL reads it: without the parentheses)
        query.parsed = {"('中国') | ('经济')": "'中国' | '经济'"}
        return search_module._excluded_odds(query), search_module.sample_tests_excluded(query)

    us = any_of([words("'美国'"), chars("'美国'")])  # one term, two slots
    (odds, terms), tested = decide(us)
    assert (round(odds, 2), terms, tested) == (0.22, 1, True)  # 2,273 rows for 156,000 listed
    assert decide(us, candidates=19_500)[1] is False  # the candidates' own list instead
    china = any_of([words("'中国'"), chars("'中国'")])
    # Two terms, each in both slots: merged into one tsquery a slot, ('中国') | ('经济').
    (odds, terms), tested = decide(any_of([china, any_of([words("'经济'"), chars("'经济'")])]))
    assert (round(odds, 3), terms, tested) == (0.02, 2, False)  # 50,000 rows
    (odds, terms), tested = decide(words("'中国' | '经济'"))  # merged in one slot
    assert (round(odds, 3), terms, tested) == (0.02, 2, False)
    assert decide(words("'unknown'"))[1] is False  # not counted: a short list
    assert decide(words("'china'"))[1] is True  # 833 rows (in English, 60 % hold none)


def test_a_negation_is_tested_in_the_characters_text_first(archive):
    """An excluded term is tested on rows (no index answers NOT): its characters in each
    version's `CharacterText`, read before its words vector, and stopping there where found."""
    match = compile_query(parse("港口 -芯片"), segmenter())
    sql, params = search_module._render(match, "zh-hans")
    negated = sql[sql.index("NOT coalesce") :]
    assert negated.index("archive_charactertext") < negated.index("search_zh_hans @@")
    assert "search_chars_zh_hans @@" not in negated.split("archive_charactertext")[0]
    assert ids(search("港口 -芯片")) == ["harbor"]
    # A negation of characters alone in its slot (港口 -芯: 芯 is no word), which no index
    # answers either: in the text too, where the version has a characters vector at all.
    from archive.text.query import Match

    leaf = Match("chars", "!('芯')", indexable=False)
    sql, params = search_module._render(leaf, "zh-hans")
    assert "archive_charactertext" in sql and "search_chars_zh_hans IS NOT NULL" in sql
    assert params == ["芯", "zh-hans", "'芯'"]
    assert search_module._render(Match("chars", "!('芯' | '片')", indexable=False), "en")[1] == [
        "!('芯' | '片')"
    ]  # (an OR: the vector, as before)
    assert ids(search("港口 -芯")) == ["harbor"]
    assert set(ids(search("港口"))) == {"defense", "harbor"}


def test_across_versions_page_excludes_from_a_hashed_list_of_the_indexes(archive, monkeypatch):
    """The page of many matches across versions walks the date index and leaves out an excluded
    term's articles as a list made from the GIN indexes and hashed, with the listing's
    work_mem: with the defaults the planner made the list by reading every row's vectors (450
    ms at 20k for take 一 -中国), and a list beyond the hash memory (a common word at 200k) is
    searched through for each candidate."""
    from django.test.utils import CaptureQueriesContext

    add(
        "motegi",
        zh=("外相访问北京", "茂木外相周二抵达北京。"),
        en=("Foreign minister visits Beijing", "Foreign Minister Motegi arrived on Tuesday."),
    )
    monkeypatch.setattr(search_module, "FACET_ROWS", 0)  # "many": the date index's page
    with CaptureQueriesContext(connection) as queries:
        result = search("Motegi 茂木 -港口")
    assert ids(result) == ["motegi"] and result.plan == "across-versions-by-date"
    sqls = [q["sql"] for q in queries.captured_queries]
    page = next(i for i, sql in enumerate(sqls) if "NOT IN" in sql and "ORDER BY" in sql)
    settings = sqls[page - 1]  # (inside the test's transaction: set before, put back after)
    assert "'enable_seqscan', 'off'" in settings and "'work_mem', '64MB'" in settings
    with connection.cursor() as cursor:
        cursor.execute(settings)
        cursor.execute("EXPLAIN " + sqls[page])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "hashed SubPlan" in plan and "Seq Scan" not in plan, plan


# --- malformed input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        '"unbalanced quote',
        "OR OR -",
        '" " ""',
        "-",
        "x" * 10_000,
        "国防\x00部长",
        "\x01\x02\x7f",
        "'; DROP TABLE archive_article; --",
        "a & b | !c <-> d:*",
        "\\",
        "'",
        ")(",
        "\ud800",
    ],
)
def test_malformed_queries_never_fail(archive, query):
    result = search(query)
    assert result.count >= 0
    assert Article.objects.count() == 4


def test_long_query_is_cut_with_a_message(archive):
    result = search("国防 " + "x" * 10_000)
    assert ids(result) == []
    assert any("shortened" in m for m in result.messages)
    assert ids(search("国防 " * 5)) == ["defense"]


def test_nul_byte_inside_a_word_is_dropped_not_fatal(archive):
    assert ids(search("国防\x00")) == ["defense"]


@pytest.mark.parametrize(
    "separator",
    [
        "\ufffd",  # what Django decodes an invalid UTF-8 byte (%ff) to
        "\u202e",  # right-to-left override (bidi controls are Cf)
        "\u200b",  # zero-width space
        "\u200d",  # zero-width joiner
        "\u2066",  # left-to-right isolate
        "\ufeff",  # byte order mark
        "\u00ad",  # soft hyphen
        "\x85",  # a C1 control character
    ],
)
def test_an_invisible_or_undecodable_character_between_words_separates_them(archive, separator):
    """They joined the words into one term, a phrase of both, so nothing was found and no
    message said why; PostgreSQL's parser splits a document's words at them."""
    parsed = parse(f"Defense{separator}chip 港口{separator}芯片")
    assert [t.text for group in parsed.groups for t in group] == ["defense", "chip", "港口", "芯片"]
    assert ids(search(f"defense{separator}chip")) == ["defense"]
    assert ids(search(f"港口{separator}芯片")) == ["defense"]
    assert ids(search(f'"supply{separator}chain"')) == ["defense"]


def test_an_undecodable_byte_or_a_bidi_control_in_the_url_separates_words(client, archive):
    for q in ("defense%ffchip", "defense%E2%80%AEchip", "%E5%9B%BD%E9%98%B2%ff%E8%8A%AF%E7%89%87"):
        data = client.get(f"/api/search?q={q}").json()
        assert [r["external_id"] for r in data["results"]] == ["defense"], q
    response = client.get("/en/search/?q=defense%ffchip")
    assert response.status_code == 200 and "1 result" in response.content.decode()


def test_only_exclusion_is_answered_with_a_message(archive):
    result = search("-港口")
    assert result.count == 0 and "exclude" in result.messages[0]


def test_a_query_that_excludes_what_it_searches_for_says_so_without_searching(
    archive, django_assert_max_num_queries
):
    # As PostgreSQL reads them: the same word, its other forms (distilled, distillation: one
    # stem), its traditional spelling, or one of several words that must all be there.
    message = str(search_module.MESSAGES["excludes_itself"])
    for q in ("港口 -港口", "distillation -distilled", "國防 -国防", "港口 渔船 -港口"):
        with django_assert_max_num_queries(1):  # the query's lexemes, then nothing
            result = search(q)
        assert (result.count, result.hits, result.messages) == (0, [], [message]), q
    assert search_response({"q": "公司 -公司"})["messages"] == [message]
    # Not where the excluded word is only one way of matching, or another word.
    assert ids(search("港口 -渔船")) == ["defense"]
    assert ids(search("distillation -copying")) == []
    assert ids(search("distillation -chip")) == ["distill"]
    assert search("模型 OR 港口 -港口").messages == []
    assert ids(search("模型 OR 港口 -港口")) == ["distill"]


def test_connections_compile_no_statement():
    """JIT off (settings): a statement estimated to read many rows was compiled for 30-35 ms
    before running in a few."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_empty_query():
    result = search("")
    assert result.count == 0 and result.hits == [] and result.messages == []


# --- ranking -----------------------------------------------------------------------------------


def test_title_outranks_body(archive):
    add(
        "body-only",
        zh=("一篇别的文章", "文中顺带提到蒸馏。还有蒸馏。"),
        en=("Another piece", "It mentions distillation in passing, and distillation again."),
        published="2025-06-01",
    )
    assert ids(search("蒸馏"))[0] == "distill"
    assert ids(search("distillation"))[0] == "distill"


def test_summary_outranks_body(archive):
    add(
        "in-summary",
        zh=("周报", "今天天气很好。"),
        en=None,
        summary={"zh-hans": "本周重点：渔船。"},
        published="2020-01-01",
    )
    assert ids(search("渔船")) == ["in-summary", "harbor"]


def test_ties_are_broken_newest_first_and_sort_by_date(archive):
    add("older", zh=("港口新闻甲", "内容一。"), en=None, published="2020-01-01")
    add("newer", zh=("港口新闻乙", "内容二。"), en=None, published="2026-01-01")
    ranked = ids(search("港口新闻"))
    assert ranked.index("newer") < ranked.index("older")
    by_date = ids(search("港口", sort="date"))
    assert by_date[0] == "newer" and by_date[-1] == "older"


def test_common_terms_use_the_head_then_date_plan(archive, monkeypatch):
    monkeypatch.setattr(search_module, "RANK_ALL", 1)
    result = search("港口")
    assert result.plan in {"head-then-date", "common-by-date"}
    assert set(ids(result)) == {"defense", "harbor"}
    page2 = search("港口", page=2, page_size=1)
    assert len(page2.hits) == 1 and ids(page2)[0] != ids(search("港口", page_size=1))[0]


def test_the_head_plan_reads_its_head_matches_only_as_far_as_the_page(monkeypatch):
    """The head-then-date plan ranks the head matches (title, summary) only as far as the
    page's end: a page inside them, one across their end and one past it are the same pages
    as the whole ranking cut in turn, and no head statement sends more than a page's end."""
    for i in range(4):
        add(f"head-{i}", zh=(f"渔船第{i}号", "今天天气很好。"), en=None, published=f"202{i}-05-01")
        add(f"body-{i}", zh=(f"周报{i}", "港口来了渔船。"), en=None, published=f"202{i}-06-01")
    monkeypatch.setattr(search_module, "RANK_ALL", 1)
    monkeypatch.setattr(search_module, "RUM_MAX", 0)  # (with RUM, beyond what it ranks)
    monkeypatch.setattr(search_module, "_estimate", lambda *args: 0)  # the head: few enough
    whole = search("渔船", page_size=20)
    assert whole.plan == "head-then-date"
    assert ids(whole)[:4] == [f"head-{i}" for i in (3, 2, 1, 0)]
    assert ids(whole)[4:] == [f"body-{i}" for i in (3, 2, 1, 0)]
    sent = []

    def head_rows(execute, sql, params, many, context):
        if "search_head_" in sql and "ORDER BY score" in sql:
            sent.append(params[-1])
        return execute(sql, params, many, context)

    pages = []
    with connection.execute_wrapper(head_rows):
        for page in (1, 2, 3):
            found = search("渔船", page=page, page_size=3)
            assert found.plan == "head-then-date"
            pages += ids(found)
    assert pages == ids(whole)
    assert sent == [3, 6, 9]  # each page's end


def test_filters_few_enough_to_list_are_listed_without_a_sample(archive, monkeypatch):
    """Where the facet keys' statistics say the filters alone hold no more articles than a
    listing takes, the matches are listed straight away: the sample that would first say there
    are not too many is left out, and the page, count and facets are the same."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE archive_article")
    monkeypatch.setattr(catalog, "_ELEMENT_STATS", {})
    author = next(k for k in Article.objects.get(external_id="harbor").facet_keys if "author:" in k)
    slug = author.split(":", 1)[1]
    within = search_module.filters_within
    assert within(search_module.Filters(author=slug), 2000)
    assert not within(search_module.Filters(author=slug), 0)
    assert not within(search_module.Filters(author="nobody-at-all"), 2000)  # not counted
    assert not within(search_module.Filters(), 2000)  # no filter

    def listed(**kwargs):
        result, statements = search_statements("港口", author=slug, **kwargs)
        sampled = any("s AS MATERIALIZED" in sql for sql in statements)
        return sampled, (ids(result), result.count, result.count_is_estimate, result.facets)

    sampled, direct = listed()
    assert not sampled and direct[0] and direct[1] == len(direct[0])
    monkeypatch.setattr(search_module, "filters_within", lambda *args: False)
    sampled, with_sample = listed()
    assert sampled and with_sample == direct


def test_a_relevance_search_listed_newest_first_says_so(archive, monkeypatch):
    """Where so many pieces match that a plan lists them (or all but the head matches) newest
    first, the page says it: "most relevant" is then not what it shows."""
    monkeypatch.setattr(search_module, "RANK_ALL", 1)
    monkeypatch.setattr(search_module, "RUM_MAX", 0)  # (with RUM, beyond what it ranks)
    said = {
        "head-then-date": str(search_module.MESSAGES["head_then_date"]),
        "common-by-date": str(search_module.MESSAGES["by_date"]),
    }
    result = search("港口")
    assert result.plan in said and result.messages == [said[result.plan]]
    monkeypatch.setattr(search_module, "_estimate", lambda *args: 10**6)  # head matches too many
    result = search("港口")
    assert result.plan == "common-by-date" and result.messages == [said["common-by-date"]]
    payload = search_response({"q": "港口"})
    assert payload["messages"] == [said["common-by-date"]]
    # Not where the order is the one asked for, nor where every match was ranked.
    assert search("港口", sort="date").messages == []
    monkeypatch.undo()
    assert search("港口").messages == []


def test_huge_result_sets_walk_the_date_index(archive, monkeypatch):
    monkeypatch.setattr(search_module, "HUGE", 0)
    monkeypatch.setattr(search_module, "EXACT_COUNT_WITH_RUM", 0)  # with RUM, known by listing
    monkeypatch.setattr(search_module, "RUM_MAX", 0)  # beyond what a RUM index would rank too
    result = search("港口", page_size=1)  # (a page short of full is the last: its count exact)
    assert result.count_is_estimate
    assert set(ids(search("港口"))) == {"defense", "harbor"}
    assert ids(search("港口", sort="date")) == ["defense", "harbor"]
    first, second = search("港口", page_size=1), search("港口", page=2, page_size=1)
    assert ids(first) + ids(second) == ["defense", "harbor"]
    assert result.facets["outlet"]
    # A walk that reads its limit of rows before its page is full (the estimate was far too
    # high) leaves the page to the bitmap: the same pages.
    fallbacks = []
    by_year = search_module._by_year
    monkeypatch.setattr(search_module, "_by_year", lambda *a: fallbacks.append(a) or by_year(*a))
    monkeypatch.setattr(search_module, "WALK_ROWS_MAX", 1)
    assert ids(search("港口", sort="date")) == ["defense", "harbor"]
    assert ids(search("港口", sort="date", page=2, page_size=1)) == ["harbor"]
    assert len(fallbacks) == 2
    # The planner settings of the walk are put back afterwards.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('enable_bitmapscan'), current_setting('enable_seqscan')"
        )
        assert cursor.fetchone() == ("on", "on")


def test_a_walk_tests_characters_in_the_character_text_and_in_the_vector_without_it(
    monkeypatch,
):
    """Walking the date index tests each row: characters are looked for in the version's
    `CharacterText` (a few kB) rather than its characters vector (every character and pair,
    with positions); an article without the text yet is tested on its vector. Either way the
    same pages as the bitmap's."""
    days = ["2026-03-01", "2025-07-01", "2024-01-01", "2023-05-05", "2021-01-01", None]
    for i, day in enumerate(days):
        add(f"w{i}", zh=(f"码头{i}", "码头新闻，国防部长讲话。"), en=None, published=day)
    add("w-other", zh=("渔船", "渔船回来了。"), en=None, published="2026-04-01")
    expected = [f"w{i}" for i in range(len(days))]  # (the undated last)
    by_characters = ["码", "码头新", '"码头新闻"', "码 国防部长"]
    queries = [*by_characters, "国防部长", "码头 -渔船"]

    def pages(q):
        return [ids(search(q, sort="date", page=n, page_size=2)) for n in (1, 2, 3)]

    bitmap = {q: pages(q) for q in queries}
    assert all(sum(found, []) == expected for found in bitmap.values())

    monkeypatch.setattr(search_module, "HUGE", 0)  # pages walk the date index
    monkeypatch.setattr(search_module, "EXACT_COUNT_WITH_RUM", 0)
    monkeypatch.setattr(search_module, "RUM_MAX", 0)
    walks = []
    walk = search_module._walk

    def spy(cursor, query, where_sql, params, limit, offset):
        statements = []

        def record(execute, sql, sql_params, many, context):
            statements.append(sql)
            return execute(sql, sql_params, many, context)

        with connection.execute_wrapper(record):
            found = walk(cursor, query, where_sql, params, limit, offset)
        walks.append((found is not None, next(s for s in statements if " hit " in s)))
        return found

    monkeypatch.setattr(search_module, "_walk", spy)
    for q in queries:
        walks.clear()
        assert pages(q) == bitmap[q], q
        assert walks and all(found for found, _sql in walks), q  # the walks found the pages
        if q in by_characters:
            for _found, sql in walks:
                assert "strpos(t.characters" in sql, q
                # the vector only where an article has no text
                assert "search_chars_zh_hans @@" not in sql.replace(
                    "), a.search_chars_zh_hans @@", ""
                ), q

    # Without its text (an archive indexed before migration 0016), the vector answers.
    CharacterText.objects.filter(article__external_id__in=["w1", "w4"]).delete()
    assert {q: pages(q) for q in queries} == bitmap


@pytest.mark.parametrize("table_rows", [0, 12])
def test_a_page_deeper_than_walking_pays_is_sorted_from_the_bitmap(monkeypatch, table_rows):
    """A walk may test at most a WALK_SHARE-th of the matches (testing a row costs several times
    what reading a match from the bitmap does), and is not started for a page that it would
    need more rows for, at the matches' share of the table (as ANALYZE counted it; unknown
    before): a deeper page is sorted from all of them — but for a query with an exclusion,
    which is tested on each row either way. The same pages."""
    days = ["2026-03-01", "2025-07-01", "2024-01-01", "2023-05-05", "2021-01-01", None, None]
    for i, day in enumerate(days):
        add(f"d{i}", zh=(f"码头{i}", "码头新闻。"), en=None, published=day)
    add("d-boat", zh=("码头渔船", "渔船回来了。"), en=None, published="2026-05-01")
    monkeypatch.setattr(search_module, "HUGE", 0)  # pages walk the date index
    monkeypatch.setattr(search_module, "EXACT_COUNT_WITH_RUM", 0)
    monkeypatch.setattr(search_module, "RUM_MAX", 0)
    monkeypatch.setattr(search_module, "WALK_ROWS_MIN", 1)
    monkeypatch.setattr(search_module, "WALK_SHARE", 3)
    monkeypatch.setattr(search_module, "archive_rows", lambda: table_rows)
    walks = []
    walk = search_module._walk

    def spy(cursor, query, where_sql, params, limit, offset):
        found = walk(cursor, query, where_sql, params, limit, offset)
        walks.append((offset + limit, query.matches, found is not None))
        return found

    monkeypatch.setattr(search_module, "_walk", spy)
    dated = ["d0", "d1", "d2", "d3", "d4", "d6", "d5"]  # the undated last, the newest id first
    for q, expected, share in (("码头", ["d-boat", *dated], True), ("码头 -渔船", dated, False)):
        walks.clear()
        pages = [ids(search(q, sort="date", page=n, page_size=1)) for n in range(1, 10)]
        assert [x for page in pages for x in page] == expected, q
        assert walks
        for wanted, matches, walked in walks:
            assert matches > 0
            within = wanted <= len(expected)  # (past the last match, a walk reaches the end)
            needed = int(wanted * table_rows / matches) if table_rows > matches else wanted
            pays = not share or needed <= max(1, matches // 3)
            assert walked == (within and pays), (q, wanted, matches)
        assert any(walked for *_n, walked in walks)
        assert not share or not all(walked for *_n, walked in walks)


def test_pages_by_date_beyond_the_listing_take_the_newest_years_first(monkeypatch):
    days = ["2026-03-01", "2026-03-01", "2025-07-01", "2024-01-01", "2023-05-05", "2021-01-01"]
    days += ["2019-12-31", "2010-06-01", None, None]
    for i, day in enumerate(days):
        add(f"p{i}", zh=(f"码头{i}", "码头新闻。"), en=None, published=day)
    newest_first = sorted(
        Article.objects.all(),
        key=lambda a: (a.original_published_on is not None, a.original_published_on, a.pk),
        reverse=True,
    )
    expected = [a.external_id for a in newest_first]
    assert expected[-2:] == ["p9", "p8"]  # undated last, newest id first
    monkeypatch.setattr(search_module, "EXACT_COUNT", 1)  # too many to list: not exact
    monkeypatch.setattr(search_module, "EXACT_COUNT_WITH_RUM", 1)
    years = []
    by_year = search_module._by_year
    monkeypatch.setattr(search_module, "_by_year", lambda *a: years.append(a) or by_year(*a))
    for before in (2_000, 3, 0):  # the years one by one up to, and beyond, this many matches
        monkeypatch.setattr(search_module, "YEARS_BEFORE", before)
        for size in (1, 3, 4, 20):
            pages = [search("码头", sort="date", page=n, page_size=size) for n in range(1, 12)]
            if size < len(expected):
                assert pages[0].count_is_estimate
            else:  # a page short of full is the last: the count is known
                assert (pages[0].count, pages[0].count_is_estimate) == (len(expected), False)
            assert [x for page in pages for x in ids(page)] == expected, (before, size)
    assert years  # the years' plan answered


def test_the_facet_sample_of_a_huge_result_set_reads_the_words_alone(archive, monkeypatch):
    """Where matching the words is matching the query, the sample for the facets comes from
    the words' indexes only (a common word's characters match nearly the same articles again);
    else from the whole match."""
    monkeypatch.setattr(search_module, "HUGE", 0)
    monkeypatch.setattr(search_module, "EXACT_COUNT_WITH_RUM", 0)
    monkeypatch.setattr(search_module, "RUM_MAX", 0)
    samples = []
    listing = search_module._listing

    def spy(cursor, parts, limit, facets, sample=None, excluded=None):
        samples.append(parts[0][0] if parts else sample.where_sql)
        return listing(cursor, parts, limit, facets, sample, excluded)

    monkeypatch.setattr(search_module, "_listing", spy)
    result = search("港口")
    assert "search_chars" not in samples[-1]
    assert result.facets["outlet"] and sum(e["count"] for e in result.facets["lang"]) >= 2
    search("港口 -扩建")
    assert "search_chars" in samples[-1]
    # Several words (a phrase, AND): the planner's estimate of them is a guess, and a phrase
    # with a few matches thought huge would walk the whole date index; the whole match.
    chosen = []
    words_sample = search_module.Query.words_sample
    monkeypatch.setattr(
        search_module.Query, "words_sample", lambda q: chosen.append(words_sample(q)) or chosen[-1]
    )
    for query in ('"defense secretary"', "国防 港口", "港口"):
        assert "defense" in ids(search(query))
    assert chosen[0] is None and chosen[1] is None and chosen[2] is not None


def test_year_filter_and_counts_beyond_the_listing(archive, monkeypatch):
    add("old-port", zh=("旧港口", "港口旧事。"), en=None, published="2019-05-01")
    monkeypatch.setattr(search_module, "EXACT_COUNT", 1)
    monkeypatch.setattr(search_module, "EXACT_COUNT_WITH_RUM", 1)
    result = search("港口", page_size=1)
    assert result.count_is_estimate and result.count >= 2
    assert ids(search("港口", year=2019)) == ["old-port"]
    monkeypatch.setattr(search_module, "HUGE", 0)
    assert ids(search("港口", year=2019)) == ["old-port"]
    assert ids(search("港口", year=2025)) == ["defense"]


def test_a_query_of_characters_only_ranks_title_matches_first(archive):
    add("body-only", zh=("渔业新闻", "文章正文提到了港。"), en=None, published="2026-01-01")
    ranked = ids(search("港"))
    assert ranked.index("defense") < ranked.index("body-only")


def test_a_query_of_characters_only_ranks_title_summary_body_then_newest(archive):
    """Ranked by where the characters stand (no vector read per match): title, summary, body;
    newest first among equals; a version that is not published lifts nothing."""
    add("body-old", zh=("渔业", "正文提到了港。"), published="2020-01-01")
    add("body-new", zh=("渔业", "正文提到了港。"), published="2024-01-01")
    add(
        "in-summary",
        zh=("渔业", "正文。"),
        summary={"zh-hans": "摘要说港。"},
        published="2019-01-01",
    )
    add("in-title", zh=("港的故事", "正文。"), published="2018-01-01")
    add(
        "draft-title",
        zh=("渔业", "正文提到了港。"),
        en=("港 in a draft", "Draft."),
        en_status="draft",
        published="2026-01-01",
    )
    ranked = ids(search("港"))
    titles = ["defense", "harbor", "in-title"]  # 港 in the title, newest first
    assert ranked[:3] == titles
    assert ranked[3] == "in-summary"
    bodies = ranked[4:]
    assert bodies.index("draft-title") < bodies.index("body-new") < bodies.index("body-old")
    scores = {hit.article.external_id: hit.score for hit in search("港").hits}
    assert scores["defense"] > scores["in-summary"] > scores["draft-title"] > 0


def test_stop_words_next_to_characters_do_not_empty_the_query(archive):
    assert ids(search("the 美")) == ["defense"]


def test_article_queries_do_not_fetch_the_stored_vectors(archive):
    article = Article.objects.get(external_id="defense")
    assert {"search_en", "search_chars_zh_hans"} <= article.get_deferred_fields()


def test_a_page_of_results_reads_neither_vectors_nor_record_times(archive):
    """A hit's article holds what the page shows; its vectors and its record's times (whose
    time zone conversion was a sixth of reading a page of articles) are left deferred."""
    article = search("defense").hits[0].article
    assert {"search_en", "created_at", "updated_at", "deleted_at"} <= article.get_deferred_fields()
    assert article.updated_at is not None  # read when asked for


def test_counts_of_huge_result_sets_are_estimated(archive, monkeypatch):
    monkeypatch.setattr(search_module, "EXACT_COUNT", 0)
    monkeypatch.setattr(search_module, "EXACT_COUNT_WITH_RUM", 0)
    result = search("港口", page_size=1)
    assert result.count_is_estimate
    assert result.count >= 1
    assert not search("港口").count_is_estimate  # a page short of full: the count is known


# --- visibility --------------------------------------------------------------------------------


def test_unpublished_language_versions_are_not_searchable(archive):
    add("draft-en", zh=("草稿文章", "只有中文已发布。"), en=("Secret draft", "Unreleased words."),
        en_status="draft")  # fmt: skip
    assert ids(search("unreleased")) == []
    assert ids(search("草稿文章")) == ["draft-en"]
    hit = search("草稿文章").hits[0]
    assert hit.snippets["en"] is None


def test_publishing_a_version_makes_it_searchable_in_the_same_transaction(archive):
    article = add("late", zh=("晚到的文章", "内容。"), en=("Late arrival", "Zebra."),
                  en_status="draft")  # fmt: skip
    assert ids(search("zebra")) == []
    rendition = article.renditions.get(language="en")
    rendition.status = Rendition.Status.PUBLISHED
    rendition_save(rendition=rendition)
    assert ids(search("zebra")) == ["late"]


def test_editing_text_updates_the_index(archive):
    article = Article.objects.get(external_id="harbor")
    before = text_snapshot(article)
    article.body_zh_hans = "渔船在黄昏离开港口，海鸥跟随。"
    article_save(article=article, previous_text=before)
    assert ids(search("海鸥")) == ["harbor"]
    assert ids(search("卸货")) == []


# --- filters and facets ------------------------------------------------------------------------


def test_filters(archive):
    assert set(ids(search("港口", outlet="river-post"))) == {"harbor"}
    # lang chooses the versions whose text is searched
    assert set(ids(search("公司", lang="zh-hans"))) == {"deepseek", "distill"}
    assert ids(search("公司", lang="en")) == []
    assert set(ids(search("company", lang="en"))) == {"deepseek", "distill"}
    assert ids(search("卸货", lang="en")) == []  # the harbor piece has no English version
    assert ids(search("", lang="en", outlet="river-post")) == ["distill"]
    assert ids(search("港口", author="ada-wu")) == ["harbor"]
    assert ids(search("蒸馏", translator="mei-tan")) == ["distill"]
    assert ids(search("港口", year=2023)) == ["harbor"]
    assert ids(search("港口", year=1999)) == []


def test_facets_count_the_matches(archive):
    facets = search("港口").facets
    outlets = {e["value"]: e["count"] for e in facets["outlet"]}
    assert outlets == {"harbor-daily": 1, "river-post": 1}
    assert {e["value"]: e["count"] for e in facets["lang"]} == {"zh-hans": 2, "en": 1}
    assert {e["value"] for e in facets["year"]} == {"2025", "2023"}
    assert {e["value"] for e in facets["author"]} == {"lin-qiu", "ada-wu"}
    assert facets["outlet"][0]["name"]
    assert "basis" not in facets


def test_facet_values_are_named_with_or_without_a_page(archive):
    """Outlets, authors and translators are named in each language (read with the page's
    articles, or alone where the page is past the last match)."""
    for page in (1, 9):
        result = search("港口 OR 蒸馏", page=page)
        assert len(result.hits) == (3 if page == 1 else 0)
        facets = result.facets
        assert {e["value"]: e["name"] for e in facets["outlet"]} == {
            "river-post": {"en": "River Post"},
            "harbor-daily": {"en": "Harbor Daily"},
        }
        assert {e["value"]: e["name"] for e in facets["author"]} == {
            "ada-wu": {"en": "Ada Wu"},
            "lin-qiu": {"en": "Lin Qiu"},
        }
        assert [e["name"] for e in facets["translator"]] == [{"en": "Mei Tan"}]
        assert all("name" not in e for e in facets["year"] + facets["lang"])


def test_without_rum_matches_expected_many_are_listed_after_a_sample(archive, monkeypatch):
    """Without RUM, where the planner expects more than FACET_ROWS matches, a sample comes
    first and the matches are listed only where it finds at most EXACT_COUNT (scaled up);
    beyond, the sample is the listing and the count its estimate. Where it expects few (a
    phrase), they are listed straight away."""
    monkeypatch.setattr(search_module, "rum_languages", frozenset)
    seen = []
    listing = search_module._listing
    monkeypatch.setattr(search_module, "_listing", lambda *a: seen.append(listing(*a)) or seen[-1])
    exact = search("港口")
    assert not exact.count_is_estimate and exact.count >= 2
    monkeypatch.setattr(search_module, "_estimate", lambda *a: search_module.FACET_ROWS + 1)
    listed = search("港口")
    assert seen[-1].sample.shares == search_module.LISTING_SHARES and seen[-1].ids[0]
    assert not listed.count_is_estimate and ids(listed) == ids(exact)
    # A sample of every share (to see every match in a small archive), with a gate it fails.
    monkeypatch.setattr(search_module, "LISTING_SHARES", search_module.SAMPLE_SHARES)
    monkeypatch.setattr(search_module, "EXACT_COUNT", 1)
    sampled = search("港口", page_size=1)
    assert all(found == [] for found in seen[-1].ids)  # the listing's scans never ran
    assert sampled.count_is_estimate and sampled.count == exact.count
    assert set(ids(search("港口"))) == set(ids(exact))
    assert sum(e["count"] for e in sampled.facets["year"]) == exact.count
    monkeypatch.setattr(search_module, "_estimate", lambda *a: search_module.FACET_ROWS)
    search("company")  # words only: the planner's estimate is trusted
    assert seen[-1].sample is None
    search('"供应链很重要"')  # a phrase of characters: its sample would cost its checks
    assert seen[-1].sample is None
    # Characters (and a Chinese word is looked up as characters too): ANALYZE's statistics of
    # the characters vectors hold too few of them for the planner's estimate to be more than a
    # guess, so the sample decides.
    monkeypatch.setattr(search_module, "EXACT_COUNT", 2_000)
    monkeypatch.setattr(search_module, "LISTING_SHARES", 4)
    for q in ("港口", "港"):
        found = search(q)
        assert seen[-1].sample is not None and seen[-1].ids[0]
        assert not found.count_is_estimate


def test_a_samples_share_keys_go_with_each_version_so_that_the_planner_keeps_them_there(
    archive, monkeypatch
):
    """Each version's arm of a sample's OR gets the share keys of its own (the same keys, in
    another order), so that the planner scans each vector's index with the share keys instead
    of taking them out as a common factor and testing every article of the shares."""

    def keys(condition):  # its one parameter: an array literal of quoted keys
        return condition[1][0].strip("{}").replace('"', "").split(",")

    conditions = [search_module.share_condition(4, arm) for arm in range(9)]
    assert len({tuple(keys(c)) for c in conditions}) == 9
    assert all(set(keys(c)) == {f"sample:{n}" for n in range(4)} for c in conditions)
    single = [keys(search_module.share_condition(1, arm)) for arm in range(3)]
    assert single == [["sample:0"], ["sample:0", "sample:0"], ["sample:0"] * 3]
    statements = []
    execute = search_module._fetch
    monkeypatch.setattr(
        search_module, "_fetch", lambda c, sql, *a: statements.append(sql) or execute(c, sql, *a)
    )
    monkeypatch.setattr(search_module, "rum_languages", frozenset)
    monkeypatch.setattr(search_module, "_estimate", lambda *a: search_module.FACET_ROWS + 1)
    exact = set(ids(search("公司")))
    sample = next(sql for sql in statements if sql.startswith("WITH s AS"))
    first_cte = sample.split("), l0 AS")[0]
    assert first_cte.count("a.facet_keys && %s::varchar[]") == len(language_codes())
    # The same matches, whichever shares a sample reads.
    monkeypatch.setattr(search_module, "EXACT_COUNT", 1)
    monkeypatch.setattr(search_module, "LISTING_SHARES", search_module.SAMPLE_SHARES - 1)
    assert set(ids(search("公司"))) == exact  # (no article of this archive in share 63)


def test_filters_go_with_each_arm_of_a_versions_or_so_that_the_planner_keeps_them_there(
    archive, monkeypatch
):
    """A Chinese word is matched as a word or inside a longer one: an OR of the words and the
    characters. With a filter, each arm gets the filter of its own, written differently (the
    same keys, one repeated), so that the planner scans each arm's index with the facet keys
    instead of taking the filter out as a common factor and testing the vectors of every
    article the filter lets through."""
    full = search_module.Match(
        "or",
        children=(search_module.Match("words", "'港口'"), search_module.Match("chars", "'港口'")),
    )
    query = search_module.Query(["zh-hans", "en"], full, full)
    filters = search_module.Filters(outlet="river-post")

    def by_arm(arm):
        return filters.sql(dates=False, arm=arm)

    sql, params = query.match_filtered("zh-hans", by_arm)
    assert sql.count("a.facet_keys @> %s::varchar[]") == 2
    assert [p for p in params if p.startswith("{")] == [
        '{"outlet:river-post"}',
        '{"outlet:river-post","outlet:river-post"}',
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT a.external_id FROM archive_article a WHERE {sql}", params)
        assert [row[0] for row in cursor.fetchall()] == ["harbor"]
    # Not an OR at the top (one slot): the filter once, beside the match.
    words = search_module.Query(["zh-hans"], full.children[0], full.children[0])
    sql, params = words.match_filtered("zh-hans", by_arm)
    assert sql.count("a.facet_keys") == 1 and sql.endswith(" AND a.facet_keys @> %s::varchar[]")
    # Through the search, with the listing's statement seen: the filter is inside the OR.
    statements = []
    execute = search_module._fetch
    monkeypatch.setattr(
        search_module,
        "_fetch",
        lambda c, sql, params, *a: statements.append((sql, params)) or execute(c, sql, params, *a),
    )
    assert ids(search("港口", outlet="river-post")) == ["harbor"]
    listing, listing_params = next((sql, p) for sql, p in statements if "l0 AS" in sql)
    assert listing_params.count('{"outlet:river-post","outlet:river-post"}') >= 2
    assert ids(search("港口", outlet="harbor-daily")) == ["defense"]


def test_a_short_page_makes_an_estimated_count_exact_and_an_empty_one_says_so(archive, monkeypatch):
    """Every plan pages through all the matches: the first page short of a full one is the
    last, and the count is then known. A page past it says so (the estimate was too high)."""
    monkeypatch.setattr(search_module, "rum_languages", frozenset)
    monkeypatch.setattr(search_module, "HUGE", 0)  # only a sample, and the planner's estimate
    monkeypatch.setattr(search_module, "_estimate", lambda *a: 50)
    first = search("港口", page_size=1)
    assert (first.count, first.count_is_estimate, ids(first)) == (50, True, ["defense"])
    assert search("港口", page=2, page_size=1).count_is_estimate  # full: maybe not the last
    short = search("港口", page_size=3)
    assert (short.count, short.count_is_estimate, ids(short)) == (2, False, ["defense", "harbor"])
    past = search("港口", page=3, page_size=1)
    assert past.hits == [] and past.count_is_estimate
    assert past.messages == [str(search_module.MESSAGES["past_the_end"])]
    # Past an exact count, the page is not looked for.
    monkeypatch.undo()
    assert search("港口", page=3, page_size=1).count == 2  # exact
    monkeypatch.setattr(search_module, "_page_ids", None)
    assert search("港口", page=3, page_size=1).hits == []


def test_a_page_far_past_an_estimate_from_a_full_sample_is_not_looked_for(archive, monkeypatch):
    monkeypatch.setattr(search_module, "rum_languages", frozenset)
    monkeypatch.setattr(search_module, "HUGE", 0)
    monkeypatch.setattr(search_module, "_estimate", lambda *a: 50)
    monkeypatch.setattr(search_module, "FACET_ROWS", 1)  # a sample of one is a full one
    first = search("港口", page_size=1)
    assert (first.count, first.count_is_estimate, first.facet_sample) == (50, True, 1)
    looked = []
    page_ids = search_module._page_ids
    monkeypatch.setattr(search_module, "_page_ids", lambda *a: looked.append(a) or page_ids(*a))
    far = search("港口", page=101, page_size=1)  # starts at twice the estimate
    assert far.hits == [] and not looked
    assert far.messages == [str(search_module.MESSAGES["past_the_end"])]
    assert search("港口", page=100, page_size=1).hits == [] and looked  # within: looked for


def test_facets_of_more_matches_than_the_sample_say_so(archive, monkeypatch):
    monkeypatch.setattr(search_module, "FACET_ROWS", 1)
    facets = search("港口").facets
    assert facets["basis"] == "a sample of 1 matches"
    assert sum(e["count"] for e in facets["year"]) == 1
    monkeypatch.setattr(search_module, "HUGE", 0)  # the sample of a result set too big to list
    assert sum(e["count"] for e in search("港口").facets["year"]) == 1


# --- highlights --------------------------------------------------------------------------------


def test_snippets_mark_matches_in_each_language_version(archive):
    hit = search("distillation").hits[0]
    assert "<mark>distillation</mark>" in hit.snippets["en"]
    assert hit.snippets["zh-hans"] is not None  # a passage of the Chinese version, unmarked
    hit = search("蒸馏").hits[0]
    assert "<mark>蒸馏</mark>" in hit.snippets["zh-hans"]


def test_snippets_mark_traditional_queries_on_simplified_text_and_inflections(archive):
    assert "<mark>国防</mark>" in search("國防").hits[0].snippets["zh-hans"]
    # "visiting" is stemmed to "visit", which marks the inflected "visited" of the body.
    assert "<mark>visited</mark>" in search("visiting").hits[0].snippets["en"]


def test_snippets_mark_short_words_whole_and_never_stop_words():
    add("jazeera", zh=None, en=("Gulf news", "Allowing all sides, Al Jazeera reported the talks."))
    snippet = search("Al Jazeera").hits[0].snippets["en"]
    assert "<mark>Al</mark> <mark>Jazeera</mark>" in snippet
    assert "<mark>All" not in snippet and "<mark>all" not in snippet
    add("pentagon", zh=None, en=("Office hours", "The Department of Defense sent off a memo."))
    snippet = search("Department of Defense").hits[0].snippets["en"]
    assert "<mark>Department</mark> of <mark>Defense</mark>" in snippet
    assert "<mark>off" not in snippet and "<mark>Of" not in snippet
    # A short word still marks its plural; a long one its inflections.
    assert find_spans("Two AIs and one AI", [], {"ai"}) == [(4, 7), (16, 18)]
    assert find_spans("happiness", [], {"happi", "happy"}) == [(0, 9)]


def test_snippets_escape_html():
    add("hostile", zh=None, en=("Zoo news", "<script>alert(1)</script> <b>zebra</b> & co"))
    snippet = search("zebra").hits[0].snippets["en"]
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet
    assert "&lt;b&gt;<mark>zebra</mark>&lt;/b&gt; &amp; co" in snippet
    add("title", zh=None, en=("<script>alert(1)</script> okapi", "Nothing to see."))
    snippet = search("okapi").hits[0].snippets["en"]  # the title: no other passage has it
    assert snippet == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>okapi</mark>"


def test_a_snippet_is_the_passage_with_most_of_the_query():
    body = (
        "The government met on Monday.\n\n"
        "Officials said the government and the municipal offices would move.\n\n"
        "The Wuhan municipal government issued new rules on markets."
    )
    add("wuhan", zh=None, en=("City briefing: Wuhan's government issues rules", body))
    # not the title (shown above the snippet), nor the first paragraph with a word of it; the
    # paragraph with the phrase as written, over one with both words apart
    snippet = search('"municipal government"').hits[0].snippets["en"]
    assert snippet == "The Wuhan <mark>municipal government</mark> issued new rules on markets."
    snippet = search("government Monday").hits[0].snippets["en"]
    assert snippet == "The <mark>government</mark> met on <mark>Monday</mark>."
    # most terms: every word of the query, over the earlier paragraph with two of the three
    snippet = search("municipal government rules").hits[0].snippets["en"]
    assert snippet.startswith("The Wuhan <mark>municipal</mark>")
    body = "外交部发言人周二表示欢迎。\n\n港口今年扩建。\n\n外交部说，港口扩建有利于贸易。"
    add("port", zh=("港口新闻", body), en=None)
    snippet = search("外交部 港口").hits[0].snippets["zh-hans"]
    assert snippet == "<mark>外交部</mark>说，<mark>港口</mark>扩建有利于贸易。"


def test_a_long_paragraphs_snippet_shows_where_the_terms_are_together():
    filler = "Nothing of note happened that week in the harbour town. " * 8
    body = f"Tariffs were mentioned once. {filler}Then tariffs on soybeans doubled overnight."
    add("long", zh=None, en=("Trade", body))
    snippet = search("tariffs soybeans").hits[0].snippets["en"]
    assert "<mark>tariffs</mark> on <mark>soybeans</mark> doubled" in snippet
    assert snippet.startswith("…") and "mentioned once" not in snippet
    snippet = search("tariffs").hits[0].snippets["en"]  # one term: its first place
    assert snippet.startswith("<mark>Tariffs</mark> were mentioned once.")


def test_a_long_paragraphs_snippet_shows_terms_far_apart_in_two_fragments():
    from archive.snippets import SNIPPET_CHARS

    filler = "Nothing of note happened that week in the harbour town. " * 8
    body = f"Dock workers said tariffs had risen again. {filler}Farmers held their soybeans back."
    add("apart", zh=None, en=("Trade", body))
    snippet = search("tariffs soybeans").hits[0].snippets["en"]
    first, second = snippet.split(" … ")
    assert "<mark>tariffs</mark> had risen" in first and "<mark>soybeans</mark>" in second
    assert snippet.startswith("Dock workers") and not snippet.endswith("…")
    words = body.split()  # fragments of whole words
    assert first.split()[-1] in words and second.split()[0] in words and "  " not in snippet
    assert len(snippet.replace("<mark>", "").replace("</mark>", "")) <= SNIPPET_CHARS["en"] + 5
    # one term, or both within one window: one passage, as before
    assert " … " not in search("tariffs").hits[0].snippets["en"]
    filler = "海港小镇那一周没有什么值得一提的事情发生。" * 8
    add("apart-zh", zh=("贸易", f"码头工人说关税又上涨了。{filler}农民把大豆留在仓库里。"), en=None)
    snippet = search("关税 大豆").hits[0].snippets["zh-hans"]
    first, second = snippet.split(" … ")
    assert "<mark>关税</mark>" in first and "<mark>大豆</mark>" in second
    # (the fragment from the sentence's start where one begins just before the term)
    assert first.startswith("码头工人") and second == "农民把<mark>大豆</mark>留在仓库里。"
    assert first.endswith(("，", "。"))  # (at a clause's end, not inside a word)


def test_snippet_terms_are_found_in_any_case_and_mapped_back_to_the_text():
    from archive.snippets import _snippet_terms

    terms = _snippet_terms(("港口",), ("tariff", "tariffs"))
    assert terms.count == 2  # tariffs is a form of tariff
    text = "İİ港口.\n\nNo hit here.\n\nTARIFFS and 港口 and Tariff."
    found = [(text[b:e], may_have) for b, e, may_have in terms.paragraphs(text)]
    assert found == [("İİ港口.", 1), ("TARIFFS and 港口 and Tariff.", 2)]
    assert list(_snippet_terms(("港口",), ()).paragraphs("港 口")) == []


def test_snippet_phrases_are_found_as_written():
    from archive.snippets import _snippet_terms

    def has(phrase, text):
        terms = _snippet_terms((), ("x",), (phrase,))
        return terms.phrases_in(text.lower(), 0, len(text)) == 1

    assert has("tax cuts", "The Tax Cut passed") and has("tax cut", "tax cuts, again")
    assert not has("tax cuts", "a surtax cut") and not has("tax cuts", "tax on cuts")
    assert has("municipal government", "municipal governments")
    assert has("发布通告 要求", "市政府发布通告，要求") and has("发布通告", "今天发布通告了")
    assert has("deepseek 融资", "DeepSeek融资") and not has("发布 通告", "发布了通告")


def test_a_quoted_phrase_is_marked_whole_with_its_stop_words():
    add("dod", zh=None, en=("Department of Defense memo", "The Department of Defense sent a memo."))
    hit = search('"Department of Defense"').hits[0]
    assert hit.snippets["en"] == "The <mark>Department of Defense</mark> sent a memo."
    assert hit.title("en") == "<mark>Department of Defense</mark> memo"
    # unquoted, the words only: "of" is a stop word, not searched
    snippet = search("Department of Defense").hits[0].snippets["en"]
    assert "<mark>Department</mark> of <mark>Defense</mark>" in snippet
    add("notice", zh=("通告", "国会通过法案。\n\n市政府发布新的通告，要求企业减税。"), en=None)
    snippet = search('"发布新的通告"').hits[0].snippets["zh-hans"]
    assert snippet == "市政府<mark>发布新的通告</mark>，要求企业减税。"


def test_phrase_marks_take_whole_words_and_give_way_to_nothing_else():
    from archive.snippets import _phrases, _with_phrases, phrase_spans

    tax = _phrases(("tax cuts",))
    text = "A surtax cut, then Tax Cutting and a tax cut."
    spans = phrase_spans(text, tax)
    assert [text[s:e] for s, e in spans] == ["Tax Cutting", "tax cut"]
    words = find_spans(text, [], {"tax", "cut"})
    marks = _with_phrases(words, spans)
    assert [text[s:e] for s, e in marks] == ["cut", "Tax Cutting", "tax cut"]
    assert _with_phrases(words, []) == words
    assert phrase_spans("", tax) == [] and phrase_spans(text, ()) == []


def test_find_spans_maps_full_width_text_back_to_the_original():
    text = "公司ＤｅｅｐＳｅｅｋ宣布"
    (start, end), = find_spans(text, [], {"deepseek"})  # fmt: skip
    assert text[start:end] == "ＤｅｅｐＳｅｅｋ"


# --- the stored index --------------------------------------------------------------------------


def test_index_uses_named_gin_indexes():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'archive_article'"
        )
        indexes = dict(cursor.fetchall())
    for language in ("zh_hans", "en"):
        words, head = f"search_{language}", f"search_head_{language}"
        # with the facet keys: a filtered search intersects both inside the index; the words
        # with the characters: a word and characters that are no word are one scan
        assert "using gin" in indexes[f"{words}_gin"].lower(), language
        assert f"({words}, search_chars_{language}, facet_keys)" in indexes[f"{words}_gin"]
        assert "using gin" in indexes[f"{head}_gin"].lower(), language
        assert f"({head}, facet_keys)" in indexes[f"{head}_gin"], language
        assert f"search_chars_{language}_gin" not in indexes  # in the words' index
    assert "yiwen_word_pairs(search_en)" in indexes["search_pairs_en_gin"]


def test_reindex_check_finds_and_reindex_fixes_a_stale_vector(archive, capsys):
    call_command("reindex", "--check", "--no-progress")
    Article.objects.filter(external_id="harbor").update(search_zh_hans=None)
    with pytest.raises(CommandError, match="1 of 4"):
        call_command("reindex", "--check", "--no-progress")
    assert "stale: article" in capsys.readouterr().out
    call_command("reindex", "--no-progress")
    call_command("reindex", "--check", "--no-progress")
    assert ids(search("卸货")) == ["harbor"]


def test_reindex_bulk_rewrites_every_vector_and_builds_the_same_indexes(archive, capsys):
    before = f.search_indexes()
    Article.objects.filter(external_id="harbor").update(search_zh_hans=None)
    call_command("reindex", "--bulk", "--no-progress")
    assert "reindexed 4 articles" in capsys.readouterr().out
    assert f.search_indexes() == before
    call_command("reindex", "--check", "--no-progress")
    assert ids(search("卸货")) == ["harbor"]
    with pytest.raises(CommandError, match="leave out"):
        call_command("reindex", "--bulk", "--characters", "--no-progress")


def test_a_failed_bulk_reindex_leaves_the_indexes_and_vectors_as_they_were(archive, monkeypatch):
    from archive.management.commands import reindex

    before = f.search_indexes()
    stale = Article.objects.get(external_id="harbor")
    Article.objects.filter(pk=stale.pk).update(search_zh_hans=None)

    def broken(definitions):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(reindex, "search_indexes_build", broken)
    with pytest.raises(RuntimeError):
        call_command("reindex", "--bulk", "--no-progress")
    assert f.search_indexes() == before
    assert list(stale_article_ids()) == [stale.pk]  # nothing of the rewrite was kept


def test_a_300000_character_article_stays_searchable():
    sentence = "港口的工人们在清晨开始工作，渔船陆续返回。"
    body = "\n\n".join(sentence * 20 for _ in range(int(300_000 / (len(sentence) * 20)) + 1))
    assert len(body) >= 300_000
    body = body.replace("渔船陆续返回。", "鲸鱼出现在港口。", 1)  # a rare word near the start
    en_body = "\n\n".join(["The dockers start work at dawn. " * 40] * 250) + "\n\nA walrus."
    add("long", zh=("很长的文章", body), en=("A very long piece", en_body))
    assert ids(search("鲸鱼")) == ["long"]
    assert ids(search("很长的文章")) == ["long"]
    assert ids(search("dockers")) == ["long"]
    # A phrase far beyond the vector's last position (16,383): its characters text is exact.
    tail = "鲸鱼出现在港口又离开了"
    article = Article.objects.get(external_id="long")
    article.body_zh_hans = body + "\n\n" + tail
    article_save(article=article)
    assert ids(search(f'"{tail}"')) == ["long"]
    assert ids(search('"离开了鲸鱼"')) == []
    call_command("reindex", "--check", "--no-progress")


# --- the API -----------------------------------------------------------------------------------


def test_the_page_articles_are_what_from_db_builds(archive):
    # `page_articles` builds its instances without `__init__`: the same fields, the same
    # deferred ones (the vectors, the untranslated originals), a saved instance's state.
    pks = list(Article.objects.order_by("pk").values_list("pk", flat=True))
    articles, _mentions = page_articles(pks)
    assert sorted(articles) == pks
    for pk, built in articles.items():
        expected = Article.objects.select_related("outlet").get(pk=pk)
        fields = built.__dict__.keys() - {"_state", "published_languages"}
        assert {k: built.__dict__[k] for k in fields} == {k: expected.__dict__[k] for k in fields}
        assert built.get_deferred_fields() == {
            f.attname for f in Article._meta.concrete_fields if f.attname not in fields
        }
        assert (built._state.adding, built._state.db) == (False, "default")
        assert built.outlet == expected.outlet and built.outlet.name == expected.outlet.name
        assert (built.title, built.display_title) == (expected.title, expected.display_title)
        assert built.url("en") == expected.url("en")
        assert built.public_languages == expected.public_languages


def test_api_search_shape(client, archive):
    response = client.get("/api/search", {"q": "蒸馏"})
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["count"] == 1 and data["page"] == 1
    (result,) = data["results"]
    assert set(result) >= {"id", "external_id", "title", "url", "snippet", "actors", "score"}
    assert result["external_id"] == "distill"
    assert result["title"] == {
        "zh-hans": "模型蒸馏引发争议",
        "en": "Model distillation sparks a row",
    }
    assert set(result["url"]) == set(result["snippet"]) == {"zh-hans", "en"}
    assert "<mark>蒸馏</mark>" in result["snippet"]["zh-hans"]
    assert isinstance(result["score"], float)
    assert {"lang", "outlet", "author", "translator", "year"} <= set(data["facets"])


def test_a_version_scheduled_for_later_is_not_shown_on_the_page(archive):
    """The page's published versions follow the public rule at the time of the search."""
    add("scheduled", zh=("定时发布", "中文版本已发布。"), en=("Scheduled", "Later words."))
    later = Rendition.objects.filter(article__external_id="scheduled", language="en")
    later.update(publish_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    hit = search("定时发布").hits[0]
    assert hit.snippets["en"] is None and hit.snippets["zh-hans"] is not None
    later.update(publish_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    assert search("定时发布").hits[0].snippets["en"] is not None


def test_api_search_by_date_still_gives_each_results_relevance(client, archive):
    """docs/api.md said the score is 0 with sort=date; it is the result's relevance, computed for
    the page's results (`_by_date`), the same as ordered by relevance, only not their order."""
    q = "distillation OR 芯片 OR 卸货"  # in a title; in two bodies
    relevance = client.get("/api/search", {"q": q}).json()["results"]
    by_date = client.get("/api/search", {"q": q, "sort": "date"}).json()
    assert [r["external_id"] for r in by_date["results"]] == ["defense", "distill", "harbor"]
    assert {r["id"]: r["score"] for r in by_date["results"]} == {
        r["id"]: r["score"] for r in relevance
    }
    assert all(r["score"] > 0 for r in by_date["results"])
    assert [r["external_id"] for r in relevance] == ["distill", "defense", "harbor"]


def test_api_search_missing_version_is_null(client, archive):
    data = json.loads(client.get("/api/search", {"q": "卸货"}).content)
    (result,) = data["results"]
    assert result["title"]["en"] is None and result["snippet"]["en"] is None
    assert result["url"]["en"] is None


def test_the_language_facet_counts_what_available_finds(client, archive):
    data = client.get("/api/search", {"q": "港口"}).json()
    counts = {e["value"]: e["count"] for e in data["facets"]["lang"]}
    assert counts == {"zh-hans": 2, "en": 1}  # defense has an English version, harbor none
    for code, n in counts.items():
        assert client.get("/api/search", {"q": "港口", "available": code}).json()["count"] == n
    # lang= searches that version's text, which has no 港口.
    assert client.get("/api/search", {"q": "港口", "lang": "en"}).json()["count"] == 0
    assert client.get("/api/search", {"q": "港口", "available": "fr"}).status_code == 400
    assert ids(search("", available="en")) == ids(search("", lang="en"))


def test_api_search_never_shows_a_drafts_title(client, archive):
    add("draft-en", zh=("草稿文章", "只有中文已发布。"), en=("Secret draft", "Unreleased words."),
        en_status="draft")  # fmt: skip
    (result,) = json.loads(client.get("/api/search", {"q": "草稿文章"}).content)["results"]
    assert result["title"] == {"zh-hans": "草稿文章", "en": None}
    assert result["url"]["en"] is None and result["snippet"]["en"] is None


def test_api_search_names_an_untitled_version_as_the_page_does(client, archive):
    """Untitled corpus records: the start of the first paragraph (`Article.public_title`), as
    the search page shows it; still nothing of a version that is not published."""
    add("untitled", zh=("", "无题的渔港记录。\n\n第二段。"), en=("", "An untitled record.\n\nMore"))
    add("untitled-draft", zh=("", "无题的渔港草稿。"), en=("", "Draft words."), en_status="draft")
    data = client.get("/api/search", {"q": "无题", "sort": "date"}).json()
    titles = {r["external_id"]: r["title"] for r in data["results"]}
    assert titles == {
        "untitled": {"zh-hans": "无题的渔港记录。", "en": "An untitled record."},
        "untitled-draft": {"zh-hans": "无题的渔港草稿。", "en": None},
    }
    page = client.get("/en/search/", {"q": "无题"}).content.decode()
    assert "无题的渔港记录。" in page and "An untitled record." in page


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x", "page": "abc"},
        {"q": "x", "page_size": "0"},
        {"q": "x", "page_size": "101"},
        {"q": "x", "lang": "fr"},
        {"q": "x", "sort": "random"},
        {"q": "x", "year": "20x5"},
        # A NUL was a 500 (PostgreSQL's text cannot hold one); a slug has no control character.
        {"q": "China", "outlet": "\x00"},
        {"q": "China", "actor": "pentagon\x00"},
        {"q": "China", "author": "a\x00b"},
        {"q": "China", "translator": "\x00"},
        {"actor": "\x00"},
        {"q": "China", "outlet": "harbor\ndaily"},
    ],
)
def test_api_search_bad_parameters_are_400(client, params):
    response = client.get("/api/search", params)
    assert response.status_code == 400
    assert json.loads(response.content)["error"]


def test_api_search_paginates(client, archive):
    first = json.loads(client.get("/api/search", {"q": "港口", "page_size": "1"}).content)
    second = json.loads(
        client.get("/api/search", {"q": "港口", "page_size": "1", "page": "2"}).content
    )
    assert first["count"] == second["count"] == 2
    assert first["results"][0]["id"] != second["results"][0]["id"]


def test_api_search_hostile_input_is_never_500(client, archive):
    for q in ["\x00", "x" * 10_000, '"', "OR", "-", "国防\x00部长", "'"]:
        assert client.get("/api/search", {"q": q}).status_code == 200


def test_search_page_renders_without_javascript(client, archive):
    response = client.get("/zh-hans/search/", {"q": "蒸馏"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<mark>蒸馏</mark>" in html
    # both titles, the query's word marked in the Chinese one; the English one has none
    assert "模型<mark>蒸馏</mark>引发争议" in html and "Model distillation sparks a row" in html
    assert 'href="?q=' in html  # facet links


def test_search_page_bad_parameters_are_a_clear_400(client):
    response = client.get("/en/search/", {"q": "x", "page": "nope"})
    assert response.status_code == 400
    assert "page must be a whole number" in response.content.decode()


def test_parse_keeps_or_groups_and_phrases():
    parsed = parse('Anthropic OR 五角大楼 "supply chain" -google')
    assert [[t.text for t in g] for g in parsed.groups] == [
        ["anthropic", "五角大楼"],
        ["supply chain"],
    ]
    assert parsed.groups[1][0].phrase
    assert [t.text for t in parsed.excluded] == ["google"]


def test_year_facet_values_are_years(archive):
    years = [e["value"] for e in search("公司").facets["year"]]
    assert years == sorted(years, reverse=True)
    assert all(dt.date(int(y), 1, 1) for y in years)


def test_index_update_is_idempotent(archive):
    article = Article.objects.get(external_id="defense")
    columns = ("search_zh_hans", "search_en", "search_head_zh_hans", "search_head_en")
    before = Article.objects.values_list(*columns).get(pk=article.pk)
    search_index_update([article.pk])
    after = Article.objects.values_list(*columns).get(pk=article.pk)
    assert all(before)
    assert before == after


def test_the_index_update_is_one_statement_the_debug_log_sees(archive):
    """The vectors' UPDATE binds its parameters on the server (a cursor of its own) and is
    still logged and wrapped like any statement of the connection."""
    from django.test.utils import CaptureQueriesContext

    article = Article.objects.get(external_id="defense")
    with CaptureQueriesContext(connection) as queries:
        search_index_update([article.pk])
    updates = [q["sql"] for q in queries.captured_queries if "UPDATE archive_article" in q["sql"]]
    assert len(updates) == 1
    assert "setweight(to_tsvector('english'" in updates[0]
    assert list(stale_article_ids([article.pk])) == []


def test_character_grams_and_kept_tokens():
    from archive.text.normalize import normalize
    from archive.text.segment import _SKIP, char_grams, split_joined_words

    assert char_grams("国防部 美 港口") == "国 国防 防 防部 部 美 港 港口 口"
    assert char_grams("") == ""
    # The tokens kept are those with a letter or digit, whatever the fast path takes.
    seg = segmenter()
    text = normalize("国防部长说：3.5% 的___增长，u.s. 与 a_b —— 「好」 x86 ４０ é")
    tokens = seg._jieba.cut(split_joined_words(text), True)
    assert seg.cut(text) == [t for t in tokens if t.strip() and not _SKIP.match(t)]
    assert "3.5%" in seg.cut(text) and "___" not in seg.cut(text)


def test_the_planner_knows_what_text_matching_costs():
    """Migration 0004 raises ts_match_vq's cost so that common terms use the GIN index."""
    from archive.checks import text_match_cost

    with connection.cursor() as cursor:
        cursor.execute("SELECT procost FROM pg_proc WHERE proname = 'ts_match_vq'")
        assert cursor.fetchone()[0] >= 100
        assert text_match_cost(databases=["default"]) == []
        cursor.execute("ALTER FUNCTION ts_match_vq(tsvector, tsquery) COST 1")  # rolled back
    (warning,) = text_match_cost(databases=["default"])
    assert warning.id == "archive.W001"


def test_facet_keys_are_what_filters_and_facets_read(archive):
    distill = Article.objects.get(external_id="distill")
    assert distill.facet_keys == [
        "author:lin-qiu",
        "lang:en",
        "lang:zh-hans",
        "outlet:river-post",
        f"sample:{distill.pk % 64}",
        "translator:mei-tan",
        "year:2024",
    ]
    draft = add("draft-only", zh=("草稿", "未发布。"), en=None, zh_status="draft")
    draft.refresh_from_db()
    assert draft.facet_keys == []  # nothing published: nothing to filter or count


def test_single_characters_typed_together_must_stand_together(archive):
    # 了 and 南 stand side by side in "访问了南方"; 口 and 工 are both in "港口，工人" but a comma
    # separates them: a query of characters means them adjacent, not each anywhere.
    assert ids(search("了南")) == ["defense"]
    assert ids(search("口工")) == []
    assert ids(search("南了")) == []


def test_phrase_counts_are_exact(archive):
    result = search('"supply chain"')
    assert result.count == 1 and not result.count_is_estimate
    assert search('"chain supply"').count == 0


def test_a_snippet_without_a_match_is_the_start_of_the_first_paragraph():
    from archive.snippets import _first_paragraph

    body = "\n\n".join(f"Paragraph {i} " + "word " * 30 for i in range(500))
    assert _first_paragraph(body, 50) == "Paragraph 0 " + ("word " * 30).strip()
    assert _first_paragraph("\n\n" + " " * 900 + "\n\nLate start.", 50) == "Late start."
    assert _first_paragraph("Short.", 50) == "Short."
    assert _first_paragraph("", 50) == ""


def test_a_page_of_results_costs_a_fixed_number_of_queries(
    client, archive, django_assert_max_num_queries
):
    for i in range(6):
        add(f"port-{i}", zh=(f"港口新闻{i}", "港口。"), en=(f"Port news {i}", "The port."))
    with django_assert_max_num_queries(14):  # with the caches' first fill
        assert len(client.get("/api/search", {"q": "港口"}).json()["results"]) == 8
    with django_assert_max_num_queries(11):  # 8 results: no query per result
        assert client.get("/en/search/", {"q": "港口"}).status_code == 200


def test_a_glossary_change_made_elsewhere_reaches_the_next_search(archive):
    """The search checks the register and glossary inside its first statement, not in one of
    its own; a change made by another process (no cache reset in this one) is still seen."""
    from django.test.utils import CaptureQueriesContext

    from archive.indexing import dictionary_fingerprint_sql
    from archive.models import GlossaryTerm

    add("ferry", en=("Ferry line reopens", "The ferry line reopened on Monday."))
    assert search("渡线").count == 0
    with CaptureQueriesContext(connection) as queries:
        search("ferry")
    assert not any(q["sql"].startswith(dictionary_fingerprint_sql()) for q in queries)
    GlossaryTerm.objects.create(zh="渡线", en="ferry line")  # as elsewhere: no cache reset
    assert ids(search("渡线")) == ["ferry"]


@pytest.mark.django_db(transaction=True)
def test_planner_settings_last_one_statement_outside_a_transaction(monkeypatch):
    """Outside a transaction a statement's planner settings go in its own message (one round
    trip) and end with it; inside one they are set and put back. Same answers either way."""
    from django.db import transaction

    for i in range(6):
        add(f"port-{i}", zh=(f"港口{i}", "船只驶入港口。" * (1 + i % 3)), published=f"202{i}-01-01")
    monkeypatch.setattr(search_module, "RANK_ALL_WITH_RUM", 0)  # the RUM page, where there is RUM
    for name in ("EXACT_COUNT", "EXACT_COUNT_WITH_RUM", "HUGE"):  # and the date index's walk
        monkeypatch.setattr(search_module, name, 2)

    def answers():
        return [
            (ids(r), r.count, r.plan)
            for r in (search("港口", page_size=4), search("港口", sort="date"), search("船只"))
        ]

    def settings():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('enable_seqscan'), current_setting('enable_indexscan'), "
                "current_setting('enable_bitmapscan')"
            )
            return cursor.fetchone()

    assert not connection.in_atomic_block
    outside = answers()
    assert settings() == ("on", "on", "on")
    with transaction.atomic():
        inside = answers()
        assert settings() == ("on", "on", "on")
    assert outside == inside
    assert len(outside[0][0]) == 4 and len(outside[1][0]) == 6


def test_a_sample_reads_the_matches_in_its_shares_of_the_archive_only(monkeypatch):
    """Every published article is in one of 64 shares (a facet key, inside the GIN indexes): a
    sample of a huge result set is its matches in a few shares — as many as hold about
    SAMPLE_TARGET of the estimated matches — and the count of the sample, scaled up, is an
    estimate of the matches."""
    for i in range(70):
        add(f"s{i}", zh=(f"码头{i}", "码头新闻。"), en=None, outlet=f"Outlet {i % 3}")
    in_share = {a.pk for a in Article.objects.all() if a.pk % search_module.SAMPLE_SHARES == 0}
    assert in_share and all(
        "sample:0" in a.facet_keys for a in Article.objects.filter(pk__in=in_share)
    )
    seen = []
    listing = search_module._listing
    monkeypatch.setattr(search_module, "_listing", lambda *a: seen.append(listing(*a)) or seen[-1])
    monkeypatch.setattr(search_module, "HUGE", 0)  # too many to list: a sample
    monkeypatch.setattr(search_module, "rum_languages", frozenset)  # (the plan without RUM)
    shares = search_module.sample_shares
    monkeypatch.setattr(search_module, "sample_shares", lambda estimate: 1)  # one is enough
    result = search("码头")
    assert set(seen[-1].sampled) == in_share and seen[-1].ids == []
    facets = result.facets
    assert facets["basis"] == f"a sample of {len(in_share)} matches"
    assert sum(e["count"] for e in facets["outlet"]) == len(in_share)
    assert not any(
        e["value"].startswith("sample")
        for kind in facets.values()
        if isinstance(kind, list)
        for e in kind
    )
    assert seen[-1].sample_estimate() == len(in_share) * 64
    # As many shares as hold about SAMPLE_TARGET of the estimated matches: all of them here.
    monkeypatch.setattr(search_module, "sample_shares", shares)
    search("码头")
    assert len(seen[-1].sampled) == 70 and seen[-1].sample.shares == 64
    assert search_module.sample_shares(10**9) == 1
    assert search_module.sample_shares(0) == 64


def test_a_sample_tested_row_by_row_reads_the_characters_text_and_finds_the_same(monkeypatch):
    """Where the planner would list a sample's shares from their facet keys and test each row's
    characters vector (a character in nearly every article), the sample tests each row's
    characters text instead: the same matches, counted and faceted the same, exclusions and
    filters included."""
    for i in range(70):
        zh = (f"码头{i}", "码头新闻。" if i % 5 else "码头，无关。")
        add(f"r{i}", zh=zh, en=("Pier", "Pier news."), outlet=f"Outlet {i % 3}")
    seen, statements = [], []
    listing = search_module._listing
    monkeypatch.setattr(search_module, "_listing", lambda *a: seen.append(listing(*a)) or seen[-1])
    monkeypatch.setattr(search_module, "HUGE", 0)  # too many to list: a sample
    monkeypatch.setattr(search_module, "rum_languages", frozenset)
    monkeypatch.setattr(search_module, "sample_shares", lambda estimate: 8)
    monkeypatch.setattr(search_module, "NEARLY_ALL", 0)  # the plan is looked at whatever the size
    for query, filters in [("码", {}), ("码 -无关", {}), ("码", {"outlet": "outlet-1"})]:
        found = {}
        for tested in (False, True):
            monkeypatch.setattr(search_module, "_rows_tested", lambda *a, t=tested: t)
            statements.clear()
            with connection.execute_wrapper(
                lambda run, sql, *rest: statements.append(sql) or run(sql, *rest)
            ):
                result = search(query, **filters)
            sample_sql = next(sql for sql in statements if "WITH s AS" in sql or " s AS " in sql)
            assert ("strpos(t.characters" in sample_sql) == tested
            found[tested] = (sorted(seen[-1].sampled), result.count, result.facets["outlet"])
        assert found[True] == found[False] and found[True][0], query
    assert len(found[True][0]) < 70  # (a sample of 8 shares)


def test_the_planner_is_asked_whether_a_sample_would_test_rows(monkeypatch):
    """`_rows_tested` reads the plan: a match that no index answers is a filter on the rows; the
    shares of the archive alone are an index's condition."""
    add("one", zh=("码头", "码头新闻。"), en=None)
    rows_tested = search_module._rows_tested
    Sample = search_module.Sample
    vector = f"coalesce(a.{search_module.search_column('zh-hans')} @@ 'x'::tsquery, false)"
    with connection.cursor() as cursor:
        assert rows_tested(cursor, Sample(vector, [], 2))
        assert not rows_tested(cursor, Sample("true", [], 2))
        excluded = ("SELECT a.id FROM archive_article a WHERE a.id < %s", [0])
        in_list = f"a.id NOT IN (SELECT id FROM {search_module.EXCLUDED_CTE})"
        assert not rows_tested(cursor, Sample(in_list, [], 2), excluded)


@pytest.mark.parametrize(
    "values",
    [
        [],
        [""],
        ["a", "b c"],
        ['quote " and \\ backslash', "{braces},comma", "NULL", "null"],
        ["国防", "x'y"],
    ],
)
def test_array_literals_reach_postgres_as_they_were(db, values):
    id_array, text_array = search_module.id_array, search_module.text_array
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::text[], %s::bigint[]", [text_array(values), id_array([3, 1, 2])])
        assert cursor.fetchone() == (values, [3, 1, 2])


def all_pages(query: str, size: int, **filters) -> list:
    """Every page of a search with hits, in turn."""
    pages, page = [], 1
    while True:
        result = search(query, page=page, page_size=size, **filters)
        if not result.hits:
            return pages
        pages.append(result)
        page += 1


def _ranked_pages(query: str, size: int) -> list:
    return [(ids(r), [h.score for h in r.hits], r.count, r.plan) for r in all_pages(query, size)]


@pytest.mark.django_db(transaction=True)
def test_many_listed_matches_are_ranked_in_two_halves_at_once(monkeypatch):
    """From RANK_SPLIT listed matches on, outside a transaction, the helper's connection ranks
    half of them while this one ranks the rest: the pages are those of one statement, ties
    (newest first, then the higher id) and scores included; and where the helper fails, this
    connection ranks its half too."""
    from archive import concurrent

    for i in range(13):
        times = 1 + i % 3  # ties of the score, and of the date among them (i % 4)
        add(
            f"port-{i:02}",
            zh=(f"新闻{i}", "船只驶入港口。" * times + "天气晴朗。"),
            en=(f"News {i}", "Ships entered the port. " * times),
            published=f"202{i % 4}-03-01",
        )
    add("port-title", zh=("港口扩建", "工程开始。"), en=("Port expansion", "Work begins."))
    monkeypatch.setattr(search_module, "RANK_SPLIT", 10**6)
    alone = {q: _ranked_pages(q, 4) for q in ("港口", "port", "港口 OR port")}
    assert {plan for pages in alone.values() for *_rest, plan in pages} == {"rank-all"}
    assert alone["港口"][0][0][0] == "port-title" and alone["港口"][0][2] == 14

    ran: list[str] = []
    submit = concurrent.submit

    def spy(job):
        return submit(lambda cursor: ran.append(threading.current_thread().name) or job(cursor))

    monkeypatch.setattr(concurrent, "submit", spy)
    monkeypatch.setattr(search_module, "RANK_SPLIT", 2)
    assert {q: _ranked_pages(q, 4) for q in alone} == alone
    assert ran and all(name.startswith("yiwen-search") for name in ran)

    monkeypatch.setattr(concurrent, "submit", lambda job: submit(lambda cursor: 1 / 0))
    assert {q: _ranked_pages(q, 4) for q in alone} == alone


def test_a_filtered_words_matches_alone_come_from_the_filters_share(monkeypatch):
    """`_words_alone`: a filtered query's count over the filters' share of the archive (the
    planner's estimate of the filters alone), at most the archive; before any ANALYZE, the
    planner's estimate of the words."""
    from types import SimpleNamespace

    query = SimpleNamespace(
        filters=(["a.facet_keys @> %s::varchar[]"], ["{outlet:x}"]), match=lambda: ("words", [])
    )
    asked = []

    def estimate(value):
        return lambda cursor, sql, params: asked.append(sql) or value

    monkeypatch.setattr(search_module, "archive_rows", lambda: 198_683)
    monkeypatch.setattr(search_module, "_estimate", estimate(4_704))
    assert search_module._words_alone(None, query, 452) == 19_091
    assert asked == ["a.facet_keys @> %s::varchar[]"]
    monkeypatch.setattr(search_module, "_estimate", estimate(0))
    assert search_module._words_alone(None, query, 452) == 198_683
    monkeypatch.setattr(search_module, "archive_rows", lambda: 0)
    monkeypatch.setattr(search_module, "_estimate", estimate(3_944))
    assert search_module._words_alone(None, query, 452) == 3_944 and asked[-1] == "words"

    # A count estimated from a cut listing: the larger of it over the filters' share and the
    # planner's estimate of the words (right for the commonest words), in one round trip.
    monkeypatch.setattr(search_module, "archive_rows", lambda: 20_000)
    monkeypatch.setattr(search_module, "_estimates", lambda cursor, wheres: [2_500, 12_000])
    assert search_module._words_alone(None, query, 1_000, counted=False) == 12_000
    monkeypatch.setattr(search_module, "_estimates", lambda cursor, wheres: [1_500, 3_944])
    assert search_module._words_alone(None, query, 1_000, counted=False) == 13_333


def test_estimates_of_several_clauses_in_one_round_trip(archive):
    clauses = [("a.id > %s", [0]), ("a.id < %s", [0]), ("true", [])]
    with connection.cursor() as cursor:
        found = search_module._estimates(cursor, clauses)
        assert found == [search_module._estimate(cursor, *clause) for clause in clauses]
    assert len(found) == 3 and all(isinstance(n, int) and n >= 1 for n in found)


def test_ranking_many_listed_matches_is_weighed_as_two_halves(monkeypatch):
    """`_rum_pays`: from RANK_SPLIT listed matches on, ranking them costs half (two halves at
    once): 452 matches of a word in 12,000 articles are ranked, not read from RUM's order."""
    from types import SimpleNamespace

    result = SimpleNamespace(page=1, page_size=20, count=452)
    query = SimpleNamespace(one_term=True)
    # RUM: 12,000 × 0.3 + (20 × 12,000 / 452) × 4 ≈ 5,724 µs; ranking 452 × 20 = 9,040 µs
    assert not search_module._rum_pays(result, query, 12_000)
    monkeypatch.setattr(search_module, "RANK_SPLIT", 10**6)
    assert search_module._rum_pays(result, query, 12_000)
