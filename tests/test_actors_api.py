"""GET /api/actors: suggestions for the search box."""

from __future__ import annotations

import pytest

from tests.test_actor_pages import piece
from tests.test_actors import actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    musk = actor("elon-musk", "person", "Elon Musk", "埃隆·马斯克", "Musk", "马斯克")
    actor("deepseek", "company", "DeepSeek", "深度求索")
    actor(
        "pentagon", "government", "U.S. Department of Defense", "美国国防部", "Pentagon", "五角大楼"
    )
    piece("p1", en="Elon Musk and the Pentagon.")
    piece("p2", zh="马斯克发言。")
    return musk


def slugs(client, **params):
    response = client.get("/api/actors", params)
    assert response.status_code == 200
    return [r["slug"] for r in response.json()["results"]]


def test_result_shape(client, cast):
    response = client.get("/api/actors", {"q": "musk"})
    assert response["Content-Type"] == "application/json"
    (result,) = response.json()["results"]
    assert result == {
        "slug": "elon-musk",
        "kind": "person",
        "name": {"zh-hans": "埃隆·马斯克", "en": "Elon Musk"},
        "aliases": ["Elon Musk", "Musk", "埃隆·马斯克", "马斯克", "埃隆·馬斯克", "馬斯克"],
        "article_count": 2,
    }


@pytest.mark.parametrize(
    "q, expected",
    [
        ("Elon", ["elon-musk"]),  # prefix of a name
        ("usk", ["elon-musk"]),  # substring
        ("马斯", ["elon-musk"]),  # Chinese prefix
        ("馬斯克", ["elon-musk"]),  # traditional script
        ("深度", ["deepseek"]),
        ("五角", ["pentagon"]),
        ("Department of Defense", ["pentagon"]),
        ("nobody", []),
    ],
)
def test_matches_names_and_aliases_in_any_language(client, cast, q, expected):
    assert slugs(client, q=q) == expected


def test_a_name_missing_in_a_language_is_left_out_not_an_empty_string(client, cast):
    """`name` is {lang: str} for the languages the actor has a name in, as in search results'
    actors (an empty string was given for the others)."""
    actor("muskrat-inc", "company", "Muskrat Inc", "", "Muskrat")
    response = client.get("/api/actors", {"q": "muskrat"})
    (result,) = response.json()["results"]
    assert result["name"] == {"en": "Muskrat Inc"}


def test_exact_and_prefix_matches_rank_first(client, cast):
    actor("muskrat-inc", "company", "Muskrat Inc", "", "Muskrat")
    assert slugs(client, q="musk") == ["elon-musk", "muskrat-inc"]
    actor("amusk", "company", "Amusk", "")
    assert slugs(client, q="musk")[:2] == ["elon-musk", "muskrat-inc"]
    assert slugs(client, q="musk", limit=1) == ["elon-musk"]


@pytest.mark.parametrize("q", ["", "   "])
def test_empty_query_gives_no_results(client, cast, q):
    assert slugs(client, q=q) == []
    assert client.get("/api/actors").json() == {"results": []}


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x" * 10_000},
        {"q": "mu\x00sk"},
        {"q": "musk", "limit": "lots"},
        {"q": "a", "limit": 0},
    ],
)
def test_bad_input_is_a_clear_400(client, cast, params):
    response = client.get("/api/actors", params)
    assert response.status_code == 400
    assert response.json()["error"]


def test_only_get(client):
    assert client.post("/api/actors", {"q": "musk"}).status_code == 405
