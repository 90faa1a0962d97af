"""Search and the actor register: names never split, cross-language expansion both ways (ranked
below exact matches), the actor filter and facet, and the seed article found by each actor."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from archive.actors import actor_import, parse_actor_record
from archive.models import Article, CharacterText, Mention
from archive.search import search
from archive.services import article_save, mentions_redetect, text_snapshot
from tests import factories as f
from tests.conftest import REPO

pytestmark = pytest.mark.django_db


def actor(slug, kind, en, zh, aliases_en=(), aliases_zh=()):
    record = {
        "slug": slug,
        "kind": kind,
        "name": {"en": en, "zh-hans": zh},
        "aliases": {
            "en": [{"text": a} for a in aliases_en],
            "zh-hans": [{"text": a} for a in aliases_zh],
        },
    }
    actor_import(record=parse_actor_record(record))


def piece(external_id, *, en=None, zh=None, published="2025-01-01"):
    title, body, renditions = {}, {}, {}
    for code, pair in (("en", en), ("zh-hans", zh)):
        if pair:
            title[code], body[code] = pair
            renditions[code] = {"status": "published"}
    return f.import_article(
        {
            "external_id": external_id,
            "original_language": "zh-hans" if zh else "en",
            "title": title,
            "body": body,
            "published_at": published,
            "renditions": renditions,
        }
    )


def ids(result):
    return [hit.article.external_id for hit in result.hits]


@pytest.fixture
def register():
    actor("elon-musk", "person", "Elon Musk", "埃隆·马斯克", ["Musk"], ["马斯克"])
    actor(
        "pentagon", "government", "Pentagon", "五角大楼", ["Department of Defense"], ["美国国防部"]
    )
    actor("hegseth", "person", "Pete Hegseth", "皮特·赫格塞思", ["Hegseth"], ["赫格塞思"])


@pytest.fixture
def pieces(register):
    piece("en-musk", en=("A rocket launch", "Elon Musk watched the launch from the beach."))
    piece("zh-pentagon", zh=("军方预算", "五角大楼周三公布了新的预算。"))
    piece(
        "zh-musk-text",
        zh=("马斯克谈火箭", "马斯克说下一次发射在春天。"),
        en=("Musk on rockets", "Musk said the next launch is in spring."),
    )
    piece("en-pentagon-text", en=("Budget day", "The Pentagon published its budget on Wednesday."))


def test_a_chinese_name_finds_an_english_only_article_about_that_actor(pieces):
    result = ids(search("马斯克"))
    assert set(result) == {"en-musk", "zh-musk-text"}
    assert result.index("zh-musk-text") < result.index("en-musk")  # exact match first


def test_an_english_name_finds_a_chinese_only_article_about_that_actor(pieces):
    result = ids(search("Pentagon"))
    assert set(result) == {"zh-pentagon", "en-pentagon-text"}
    assert result.index("en-pentagon-text") < result.index("zh-pentagon")


def test_an_alias_finds_the_actor_in_the_other_language(pieces):
    assert "zh-pentagon" in ids(search('"Department of Defense"'))
    assert "en-pentagon-text" in ids(search("美国国防部"))


def test_an_actors_names_are_one_term_of_the_snippet(register):
    body = (
        "Washington, the Pentagon.\n\n"
        "Officials at the Department of Defense, the Pentagon, said nothing.\n\n"
        "The Pentagon delayed the budget vote."
    )
    piece("en-names", en=("Budget", body))
    # The second paragraph has two names of one actor: it is no better than the first. The
    # query's other word decides.
    snippets = [search(q).hits[0].snippets["en"] for q in ("Pentagon", "Pentagon budget")]
    assert snippets[0] == "Washington, the <mark>Pentagon</mark>."
    assert snippets[1] == "The <mark>Pentagon</mark> delayed the <mark>budget</mark> vote."
    # In the other language, the actor's names are what the query finds.
    snippet = search("五角大楼").hits[0].snippets["en"]
    assert snippet == "Washington, the <mark>Pentagon</mark>."


def test_names_in_the_user_dictionary_are_never_split(register):
    piece("name", zh=("会见", "赫格塞思周二会见了记者。"))
    from archive.indexing import segmenter

    assert "赫格塞思" in segmenter().cut("赫格塞思周二会见了记者")
    assert ids(search('"赫格塞思"')) == ["name"]


def test_actor_filter_with_and_without_words(pieces):
    assert set(ids(search("", actor="elon-musk"))) == {"en-musk", "zh-musk-text"}
    assert ids(search("spring", actor="elon-musk")) == ["zh-musk-text"]
    assert ids(search("", actor="no-such-actor")) == []


def test_a_rejected_mention_is_not_about_the_actor(pieces):
    article = Article.objects.get(external_id="en-musk")
    article.mentions.update(state=Mention.State.REJECTED)
    mentions_redetect(articles=[article])
    assert ids(search("", actor="elon-musk")) == ["zh-musk-text"]
    assert "en-musk" not in ids(search("马斯克"))


def test_actor_facet_and_result_actors(pieces):
    result = search("launch")
    facet = {e["value"]: e["count"] for e in result.facets["actor"]}
    assert facet == {"elon-musk": 2}
    assert {a.slug for a in result.hits[0].actors} == {"elon-musk"}


def test_editing_text_updates_mentions_and_the_index(pieces):
    article = Article.objects.get(external_id="en-pentagon-text")
    before = text_snapshot(article)
    article.body_en = "Pete Hegseth spoke on Wednesday."
    article_save(article=article, previous_text=before)
    assert "en-pentagon-text" in ids(search("赫格塞思"))
    assert "en-pentagon-text" not in ids(search("", actor="pentagon"))


def test_api_search_lists_actors(client, pieces):
    data = json.loads(client.get("/api/search", {"q": "beach"}).content)
    (result,) = data["results"]
    assert result["actors"] == [
        {"slug": "elon-musk", "name": {"zh-hans": "埃隆·马斯克", "en": "Elon Musk"}}
    ]
    data = json.loads(client.get("/api/search", {"actor": "elon-musk"}).content)
    assert data["count"] == 2


def test_api_search_actor_names_leave_out_languages_without_one(client, register):
    """An actor with no Chinese name: `{"en": …}`, as the facets name it, not a null beside it."""
    actor("chris-painter", "person", "Chris Painter", "", ["Painter"])
    piece("envoy", en=("A cyber envoy", "Chris Painter spoke about norms in cyberspace."))
    data = client.get("/api/search", {"q": "envoy"}).json()
    (result,) = data["results"]
    assert result["actors"] == [{"slug": "chris-painter", "name": {"en": "Chris Painter"}}]
    (facet,) = data["facets"]["actor"]
    assert facet["name"] == {"en": "Chris Painter"}


def test_the_seed_article_is_found_by_each_of_its_actors():
    call_command("import_actors", str(REPO / "fixtures" / "actors.jsonl"), verbosity=0)
    call_command("import_articles", str(REPO / "fixtures" / "seed.jsonl"), verbosity=0)
    seed = Article.objects.get()
    slugs = set(seed.mentions.counted().values_list("actor__slug", flat=True))
    assert {"anthropic", "pentagon", "elon-musk", "deepseek", "pete-hegseth"} <= slugs
    for slug in slugs:
        assert ids(search("", actor=slug)) == [seed.external_id], slug
    # and by their Chinese names, though the seed has no Chinese text
    for name in ["五角大楼", "马斯克", "深度求索", "赫格塞思"]:
        assert ids(search(name)) == [seed.external_id], name


def test_character_texts_hold_the_names_of_the_actors_a_version_is_about(pieces):
    """The summary's slot of a version's CharacterText has the names of its actors in its
    language (as its characters vector has them); `reindex --characters` makes the same."""
    pentagon = Article.objects.get(external_id="zh-pentagon")
    text = CharacterText.objects.get(article=pentagon, language="zh-hans").characters
    assert text.split("\n")[1] == "五角大楼"
    assert "zh-pentagon" in ids(search('"五角大楼周三"'))
    CharacterText.objects.all().delete()
    call_command("reindex", "--characters", "--no-progress")
    assert CharacterText.objects.get(article=pentagon, language="zh-hans").characters == text
    call_command("reindex", "--check", "--no-progress")


def test_a_word_is_found_where_a_name_takes_some_of_its_characters(register):
    """美国国防部 is a name of the register, which the segmenter never splits: 美国国防部长埃斯珀
    is cut 美国国防部|长|埃斯|珀, and neither 部长 nor 国防部长 is a word of that text. Each is
    found all the same: 国防部长, a dictionary word that ends where a word of the text ends, is
    in the index across the two (`Segmenter.crossing`) and ranks as a word does, newest first;
    部长 by the words side by side around the name, below the texts where it is a word. A
    character the query cut off a word (防 of 国防, 珀 of 埃斯珀) stays with its neighbour as one
    string, so 防部长 is not 防 anywhere and 部长 anywhere."""
    from archive.indexing import segmenter
    from archive.text.query import compile_query, parse

    piece("esper", zh=("会晤", "美国国防部长埃斯珀周二会见了日本官员。"), published="2025-03-01")
    # 防部 and 部长 are here, apart
    budget = ("预算", "国防部发言人说，部长将出席国防预算听证会。")
    piece("budget", zh=budget, published="2025-02-01")
    piece("minister", zh=("出访", "国防部长周一出访。"), published="2025-01-01")
    assert segmenter().cut("美国国防部长埃斯珀")[:3] == ["美国国防部", "长", "埃斯"]
    assert ids(search("国防部长")) == ["esper", "minister"]
    assert ids(search("国防部长 埃斯珀")) == ["esper"]
    assert ids(search("部长埃斯珀")) == ["esper"]
    assert set(ids(search("防部长"))) == {"minister", "esper"}  # a string: newest first
    assert ids(search('"国防部长埃斯珀"')) == ["esper"]
    found = ids(search("部长"))
    assert set(found[:2]) == {"minister", "budget"} and found[2:] == ["esper"]
    # A word that no user word touches is one lexeme of the words index, as it always was.
    assert compile_query(parse("听证会"), segmenter()).text == "'听证会'"
    assert compile_query(parse("听证会 预算"), segmenter()).text == "('听证会') & ('预算')"


def test_a_word_inside_an_actors_name_finds_its_pieces_in_every_language(monkeypatch):
    """国防 is inside 美国国防部, the Pentagon's Chinese name: a Chinese version about it has the
    name among its text's words (weight B), so the name's sub-words too; an English-only piece
    has the names of its actors in every language at weight D, whole. Either is found by a word
    inside the name, as by the name (国防部 is an alias of its own), and a huge result set still
    takes its facets' sample from the words index alone (the word or the names that hold it)."""
    from archive import search as search_module

    call_command("import_actors", str(REPO / "fixtures" / "actors.jsonl"), verbosity=0)
    call_command("import_articles", str(REPO / "fixtures" / "seed.jsonl"), verbosity=0)
    seed = Article.objects.get().external_id
    piece("zh-pentagon", zh=("军方预算", "五角大楼周三公布了新的预算。"))
    for query in ("国防", "国防部", "美国国防部", '"国防"'):
        assert set(ids(search(query))) == {seed, "zh-pentagon"}, query
    assert ids(search("国防"))[0] == "zh-pentagon"  # its name at weight B, the seed's at D
    chosen = []
    words_sample = search_module.Query.words_sample
    monkeypatch.setattr(
        search_module.Query, "words_sample", lambda q: chosen.append(words_sample(q)) or chosen[-1]
    )
    search("国防")
    assert chosen[-1] is not None


def test_a_search_reads_the_actors_its_page_names_not_the_register(
    pieces, django_assert_num_queries
):
    """The hits' actors come from the register as the page names them: after a change to the
    register, a search reads those few, not every actor (10,000 of them took seconds)."""
    from archive.indexing import ActorCache, dictionary_fingerprint, search_dictionary

    for n in range(30):
        actor(f"extra-{n}", "person", f"Extra Person {n}", f"额外人物{n}")
    (hit,) = search("beach").hits
    assert [a.slug for a in hit.actors] == ["elon-musk"]
    _seg, _glossary, cache = search_dictionary(dictionary_fingerprint())
    assert [a.slug for a in cache._actors.values()] == ["elon-musk"]
    with django_assert_num_queries(0):  # read once: the next page that names it has it
        assert cache.get([hit.actors[0].pk])[hit.actors[0].pk] is cache._actors[hit.actors[0].pk]
    assert ActorCache().get([hit.actors[0].pk + 1000]) == {}  # no such actor (any more)


def test_a_renamed_actor_and_a_new_alias_show_in_the_next_search(pieces):
    from archive.models import Actor, ActorAlias

    assert [a.name_en for a in search("beach").hits[0].actors] == ["Elon Musk"]
    musk = Actor.objects.get(slug="elon-musk")
    musk.name_en = "Elon R. Musk"
    musk.save()
    ActorAlias.objects.create(
        actor=musk, text="Mr Rocket", language="en", script=ActorAlias.Script.LATIN
    )
    (hit,) = search("beach").hits
    assert [a.name_en for a in hit.actors] == ["Elon R. Musk"]
    assert hit.actors[0].alias_texts[-1] == "Mr Rocket"


def test_a_hit_names_no_actor_that_was_deleted(pieces):
    from archive.models import Actor

    search("beach")  # the actor read, under the register as it was
    Actor.objects.filter(slug="elon-musk").delete()
    (hit,) = search("beach").hits
    assert hit.actors == []


def test_the_segmenter_is_kept_while_its_words_are_and_built_again_when_they_change(register):
    from archive.indexing import segmenter
    from archive.models import Actor, ActorAlias

    first = segmenter()
    Actor.objects.filter(slug="pentagon").update(name_en="The Pentagon")  # no Chinese word
    assert segmenter() is first
    musk = Actor.objects.get(slug="elon-musk")
    ActorAlias.objects.create(
        actor=musk, text="马斯克先生", language="zh-hans", script="simplified"
    )
    again = segmenter()
    assert again is not first and "马斯克先生" in again.user_words
    assert again.cut("马斯克先生来了")[0] == "马斯克先生"
