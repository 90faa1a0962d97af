"""The actor register: detection rules, editors' decisions, lookups, the register file."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from archive import actors as register
from archive import services
from archive.actors import (
    actor_import,
    actor_lookup,
    actors_matching_text,
    mentions_detect,
    parse_actor_record,
    user_dictionary_words,
)
from archive.interchange import RecordError
from archive.models import Actor, ActorAlias, Article, Mention
from tests import factories as f
from tests.conftest import REPO

pytestmark = pytest.mark.django_db

NC = True  # needs context


def actor(slug: str, kind: str, en: str, zh: str = "", *aliases, context=None) -> Actor:
    """An actor from the register's file format; an alias is "text" or ("text", NC)."""
    by_language: dict[str, list] = {}
    for alias in aliases:
        text, needs = alias if isinstance(alias, tuple) else (alias, False)
        code = "zh-hans" if register.has_cjk(text) else "en"
        by_language.setdefault(code, []).append({"text": text, "needs_context": needs})
    record = {"slug": slug, "kind": kind, "name": {"en": en}, "aliases": by_language}
    if zh:
        record["name"]["zh-hans"] = zh
    if context:
        record["context_words"] = context
    actor_import(record=parse_actor_record(record))
    return Actor.objects.get(slug=slug)


@pytest.fixture
def cast():
    return {
        "musk": actor("elon-musk", "person", "Elon Musk", "埃隆·马斯克", "Musk", "马斯克"),
        "anthropic": actor("anthropic", "company", "Anthropic", "Anthropic"),
        "grok": actor("grok", "product", "Grok", "Grok"),
        "npr": actor("npr", "organisation", "NPR", "美国国家公共广播电台"),
        "amazon": actor("amazon", "company", "Amazon", "亚马逊"),
        "sacks": actor("david-sacks", "person", "David Sacks", "大卫·萨克斯", ("萨克斯", NC)),
        "time": actor(
            "time", "organisation", "TIME", "《时代》周刊", ("TIME", NC), context=["magazine"]
        ),
        "dario": actor("dario-amodei", "person", "Dario Amodei", "达里奥·阿莫迪", ("Amodei", NC)),
        "x": actor("x-platform", "product", "X", "X", ("X", NC), context=["posted on X"]),
        "pentagon": actor(
            "pentagon",
            "government",
            "U.S. Department of Defense",
            "美国国防部",
            "Pentagon",
            "五角大楼",
        ),
    }


def article(en: str = "", zh: str = "", external_id: str = "a1", **record) -> Article:
    body = {code: text for code, text in (("en", en), ("zh-hans", zh)) if text}
    data = {
        "external_id": external_id,
        "original_language": "zh-hans" if zh else "en",
        "title": {code: f"Title {external_id}" for code in body if code == "en"},
        "body": body,
        **record,
    }
    return f.import_article(data)


def counts(a: Article, *, state: str | None = None) -> dict[tuple[str, str], int]:
    mentions = a.mentions.select_related("actor")
    if state:
        mentions = mentions.filter(state=state)
    return {(m.actor.slug, m.language): m.count for m in mentions}


# --- detection -----------------------------------------------------------------------------------


def test_detection_in_both_languages_counts_and_keeps_the_first_passage(cast):
    a = article(
        en="Nothing here.\n\nElon Musk spoke on Monday. Later Musk added a remark.",
        zh="埃隆·马斯克周一发表讲话。\n\n随后马斯克又补充了一句。",
    )
    assert counts(a) == {("elon-musk", "en"): 2, ("elon-musk", "zh-hans"): 2}
    en = a.mentions.get(language="en")
    assert en.evidence == "Elon Musk spoke on Monday. Later Musk added a remark."
    assert en.state == Mention.State.DETECTED
    assert a.mentions.get(language="zh-hans").evidence == "埃隆·马斯克周一发表讲话。"


def test_traditional_script_alias_is_derived_and_found(cast):
    derived = ActorAlias.objects.get(actor=cast["musk"], text="馬斯克")
    assert derived.derived and derived.script == ActorAlias.Script.TRADITIONAL
    assert ActorAlias.objects.filter(actor=cast["musk"], text="埃隆·馬斯克", derived=True).exists()
    a = article(zh="據報導，馬斯克週二在社交平台上發文。")
    assert counts(a) == {("elon-musk", "zh-hans"): 1}


def test_latin_name_inside_chinese_text_is_found(cast):
    a = article(zh="Anthropic公司周二发布了新模型，马斯克随即发表评论。")
    assert counts(a) == {("anthropic", "zh-hans"): 1, ("elon-musk", "zh-hans"): 1}


def test_latin_aliases_match_whole_words_only(cast):
    a = article(en="Grokking the method took weeks. The grok verb is common. Grok was approved.")
    assert counts(a) == {("grok", "en"): 1}


def test_case_rules(cast):
    a = article(en="The npr tag and the word amazon in lower case. NPR reported it. AMAZON rose.")
    assert counts(a) == {("npr", "en"): 1, ("amazon", "en"): 1}


def test_chinese_alias_inside_a_longer_word_is_not_a_mention(cast):
    a = article(zh="亚马逊河流域的雨林正在缩小。乐手吹起了萨克斯风。")
    assert counts(a) == {}
    b = article(
        zh="亚马逊公司宣布投资。白宫顾问大卫·萨克斯表示反对，萨克斯还说。", external_id="a2"
    )
    assert counts(b) == {("amazon", "zh-hans"): 1, ("david-sacks", "zh-hans"): 2}


def test_the_longest_alias_wins(cast):
    a = article(en="Elon Musk posted again.", zh="埃隆·马斯克再次发文。")
    assert counts(a) == {("elon-musk", "en"): 1, ("elon-musk", "zh-hans"): 1}


def test_time_counts_in_running_text_only(cast):
    a = article(en="According to TIME, the board approved the plan.")
    assert counts(a) == {("time", "en"): 1}
    b = article(en="TIME IS UP for the plan.\n\nTime flies. TIME to act.", external_id="b")
    assert counts(b) == {}
    c = article(en="TIME to act, the magazine wrote.", external_id="c")  # a context word
    assert counts(c) == {("time", "en"): 1}


def test_needs_context_alias_counts_with_another_alias_in_any_language(cast):
    alone = article(en="Amodei said the talks went on.")
    assert counts(alone) == {}
    both = article(
        en="Amodei said the talks went on.", zh="达里奥·阿莫迪表示会谈仍在继续。", external_id="b"
    )
    assert counts(both) == {("dario-amodei", "en"): 1, ("dario-amodei", "zh-hans"): 1}
    assert counts(article(zh="他吹萨克斯。", external_id="c")) == {}


def test_needs_context_alias_counts_with_a_context_word(cast):
    assert counts(article(en="Plan X was shelved. X marks the spot.")) == {}
    a = article(en="He posted on X that the plan was shelved.", external_id="b")
    assert counts(a) == {("x-platform", "en"): 1}


# --- editors' decisions survive re-detection -----------------------------------------------------


def edit(a: Article, **text) -> Article:
    for column, value in text.items():
        setattr(a, column, value)
    services.article_save(article=a)
    return Article.objects.get(pk=a.pk)


def test_rejected_confirmed_and_added_mentions_survive_redetection(cast):
    a = article(en="Elon Musk met the Pentagon. Grok was there.")
    a.mentions.filter(actor=cast["musk"]).update(state=Mention.State.REJECTED)
    a.mentions.filter(actor=cast["pentagon"]).update(state=Mention.State.CONFIRMED)
    Mention.objects.create(article=a, actor=cast["npr"], language="en", state=Mention.State.ADDED)
    a = edit(a, body_en="Elon Musk and Musk met the Pentagon.")
    states = {(m.actor.slug, m.state, m.count) for m in a.mentions.select_related("actor")}
    assert states == {
        ("elon-musk", "rejected", 2),
        ("pentagon", "confirmed", 1),
        ("npr", "added", 0),
    }  # grok, merely detected and no longer named, is gone
    mentions_detect(article=a)
    assert counts(a, state="rejected") == {("elon-musk", "en"): 2}
    a = edit(a, body_en="Nobody in particular.")
    assert counts(a) == {("elon-musk", "en"): 0, ("pentagon", "en"): 0, ("npr", "en"): 0}
    assert set(Mention.objects.counted().values_list("actor__slug", flat=True)) == {
        "pentagon",
        "npr",
    }


def test_detection_runs_only_when_the_text_changed(cast, monkeypatch):
    a = article(en="Musk spoke.")
    calls = []
    monkeypatch.setattr(services, "mentions_detect", lambda **kw: calls.append(kw))
    a.original_url = "https://example.org/a1"
    services.article_save(article=a)
    assert calls == []
    edit(a, body_en="Musk spoke again.")
    assert len(calls) == 1
    record = {
        "external_id": "a1",
        "original_language": "en",
        "title": {"en": "Title a1"},
        "body": {"en": "Musk spoke again."},
    }
    f.import_record(record)  # same text: nothing to detect
    assert len(calls) == 1


def test_import_detects_mentions(cast):
    outcome = f.import_record(
        {"external_id": "x1", "original_language": "zh-hans", "body": {"zh-hans": "五角大楼表示。"}}
    )
    assert counts(outcome.article) == {("pentagon", "zh-hans"): 1}


def test_the_register_is_rebuilt_when_aliases_change(cast):
    a = article(en="The Department of War said no.")
    assert counts(a) == {}
    ActorAlias.objects.create(
        actor=cast["pentagon"], language="en", text="Department of War", script="latin"
    )
    mentions_detect(article=a)
    assert counts(a) == {("pentagon", "en"): 1}


# --- lookups -------------------------------------------------------------------------------------


def test_actors_matching_text_across_languages_and_scripts(cast):
    def slugs(q):
        return [a.slug for a in actors_matching_text(q)]

    assert slugs("马斯克") == ["elon-musk"]
    assert slugs("馬斯克 訪問") == ["elon-musk"]
    assert slugs("musk pentagon budget") == ["elon-musk", "pentagon"]
    assert slugs("五角大楼预算") == ["pentagon"]
    assert slugs("amodei") == ["dario-amodei"]  # the whole query: the user means the person
    assert slugs("time") == [] and slugs("TIME") == ["time"]
    assert slugs("Grokking") == [] and slugs("亚马逊河") == []
    assert slugs("") == [] and slugs("\x00") == []


def test_user_dictionary_has_every_chinese_name(cast):
    words = user_dictionary_words()
    assert {"马斯克", "馬斯克", "埃隆·马斯克", "五角大楼", "美国国防部", "大卫·萨克斯"} <= set(
        words
    )
    assert "Musk" not in words and "Anthropic" not in words


def test_actor_lookup(cast):
    def slugs(q):
        return [a.slug for a in actor_lookup(q, 10)]

    assert slugs("Musk") == ["elon-musk"]
    assert slugs("mus") == ["elon-musk"]
    assert slugs("马斯") == ["elon-musk"]
    assert slugs("馬斯") == ["elon-musk"]
    assert slugs("五角") == ["pentagon"]
    assert slugs("ama")[0] == "amazon"
    assert slugs("") == [] and slugs("a\x00b") == [] and slugs("x" * 10_000) == []


# --- models --------------------------------------------------------------------------------------


def test_wikidata_id_is_validated():
    bad = Actor(slug="bad", kind="company", name_en="Bad", wikidata_id="Z12")
    with pytest.raises(ValidationError):
        bad.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        bad.save()
    Actor(slug="good", kind="company", name_en="Good", wikidata_id="Q95").full_clean()


def test_alias_unique_per_actor(cast):
    with pytest.raises(IntegrityError), transaction.atomic():
        ActorAlias.objects.create(actor=cast["musk"], language="en", text="Musk", script="latin")


# --- the register file ---------------------------------------------------------------------------

FIXTURE = REPO / "fixtures" / "actors.jsonl"
SEED = REPO / "fixtures" / "seed.jsonl"
SEED_ACTORS = {
    "anthropic",
    "claude",
    "dario-amodei",
    "pete-hegseth",
    "pentagon",
    "white-house",
    "david-sacks",
    "openai",
    "google",
    "xai",
    "grok",
    "elon-musk",
    "deepseek",
    "moonshot-ai",
    "minimax",
    "jared-kaplan",
    "chris-painter",
    "metr",
    "erik-cambria",
    "nanyang-technological-university",
    "tory-green",
    "io-net",
    "mrinank-sharma",
    "amazon",
    "npr",
    "cnn",
    "al-jazeera",
    "cnbc",
    "time",
    "nicolas-maduro",
    "donald-trump",
    "us-department-of-justice",
    "x-platform",
    "gpt-4",
    "gemini",
}


def load_fixtures():
    call_command("import_actors", str(FIXTURE), verbosity=0)
    call_command("import_articles", str(SEED), "--no-progress", verbosity=0)
    return Article.objects.get()


def test_the_seed_article_names_its_actors():
    seed = load_fixtures()
    found = counts(seed)
    assert {slug for slug, _code in found} == SEED_ACTORS
    assert found[("elon-musk", "en")] == 4  # "Elon Musk" once, "Musk" three times
    assert found[("dario-amodei", "en")] == 2  # "Dario Amodei", then "CEO Amodei"
    assert found[("pentagon", "en")] >= 10
    time = seed.mentions.get(actor__slug="time")
    assert time.evidence.startswith("According to TIME")


def test_the_fixture_register(tmp_path):
    call_command("import_actors", str(FIXTURE), verbosity=0)
    records = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
    assert Actor.objects.count() == len(records)
    assert {"bitpush", "techflow"} | SEED_ACTORS == set(
        Actor.objects.values_list("slug", flat=True)
    )
    for slug, zh in [
        ("pentagon", "美国国防部"),
        ("deepseek", "深度求索"),
        ("moonshot-ai", "月之暗面"),
        ("google", "谷歌"),
        ("al-jazeera", "半岛电视台"),
    ]:
        assert Actor.objects.get(slug=slug).name_zh_hans == zh
    assert Actor.objects.get(slug="chris-painter").name_zh_hans == ""  # not known: left blank
    for a in Actor.objects.all():
        a.full_clean()
        assert a.description_en and a.description_zh_hans
    assert ActorAlias.objects.get(text="馬斯克").derived
    # Idempotent, and export → import gives the same register.
    call_command("import_actors", str(FIXTURE), verbosity=0)
    out = tmp_path / "actors.jsonl"
    call_command("export_actors", "-o", str(out))
    before = out.read_text(encoding="utf-8")
    Actor.objects.all().delete()
    call_command("import_actors", str(out), verbosity=0)
    call_command("export_actors", "-o", str(out))
    assert out.read_text(encoding="utf-8") == before


def test_a_bad_register_file_is_rejected_whole(write_file, capsys):
    good = {"slug": "good", "kind": "company", "name": {"en": "Good"}}
    path = write_file(
        "actors.jsonl",
        "\n".join(
            [
                json.dumps(good),
                json.dumps({"slug": "bad", "kind": "planet", "name": {"en": "Bad"}}),
                json.dumps({**good, "wikidata": "Q-guess"}),
                "{not json",
            ]
        ),
    )
    with pytest.raises(CommandError):
        call_command("import_actors", str(path), verbosity=0)
    err = capsys.readouterr().err
    assert ":2: kind: 'planet'" in err and ":3:" in err and ":4: not valid JSON" in err
    assert not Actor.objects.exists()


def test_register_records_are_validated():
    for bad in [
        {"slug": "Bad Slug", "kind": "company", "name": {"en": "x"}},
        {"slug": "a", "kind": "company", "name": {}},
        {"slug": "a", "kind": "company", "name": {"en": "x"}, "extra": 1},
        {"slug": "a", "kind": "company", "name": {"en": "x"}, "aliases": {"fr": ["x"]}},
        {"slug": "a", "kind": "company", "name": {"en": "x"}, "aliases": {"en": ["y", "y"]}},
        {"slug": "a", "kind": "company", "name": {"en": "x\x00"}},
    ]:
        with pytest.raises(RecordError):
            parse_actor_record(bad)


def test_evidence_is_the_first_body_passage_naming_the_actor(cast):
    a = article(en="First paragraph.\n\nThe Pentagon said no.", title={"en": "Pentagon Says No"})
    assert a.mentions.get().count == 2
    assert a.mentions.get().evidence == "The Pentagon said no."
    b = article(en="Nothing here.", title={"en": "Pentagon Says No"}, external_id="b")
    assert b.mentions.get().evidence == "Pentagon Says No"


def test_keep_existing_leaves_an_edited_actor_alone(tmp_path):
    path = tmp_path / "register.jsonl"
    record = {"slug": "harbor-co", "kind": "company", "name": {"en": "Harbor Co"}}
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    call_command("import_actors", str(path), verbosity=0)
    harbor = Actor.objects.get(slug="harbor-co")
    ActorAlias.objects.create(actor=harbor, language="en", text="Harbor Company", script="latin")
    call_command("import_actors", "--keep-existing", str(path), verbosity=0)
    assert harbor.aliases.filter(text="Harbor Company").exists()
    call_command("import_actors", str(path), verbosity=0)  # a plain import makes it the file's
    assert not harbor.aliases.filter(text="Harbor Company").exists()
